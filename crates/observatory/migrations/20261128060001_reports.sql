-- Issue 6 (part 1): the projections the action plan and the reports need, the action plan itself
-- and the published reports.

-- Activities learn when they happen (the first session's start, UTC date) and who organises them
-- (organisers and co-organisers: the partners involved). Both follow the description's guard.
ALTER TABLE activity_projection
    ADD COLUMN starts_on DATE,
    ADD COLUMN partner_ids TEXT[] NOT NULL DEFAULT '{}';
CREATE INDEX activity_projection_starts_on ON activity_projection (starts_on);

-- Registrations per session: the session's counts after its latest change (the session is the
-- aggregate, `version` its guard), and the organisations registrants came from.
CREATE TABLE registration_projection (
    session_id  UUID    PRIMARY KEY,
    activity_id UUID    NOT NULL,
    version     BIGINT  NOT NULL CHECK (version > 0),
    capacity    INT     NOT NULL DEFAULT 0,
    registered  INT     NOT NULL DEFAULT 0 CHECK (registered >= 0),
    waitlisted  INT     NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),
    attended    INT     NOT NULL DEFAULT 0 CHECK (attended >= 0),
    no_show     INT     NOT NULL DEFAULT 0 CHECK (no_show >= 0),
    cancelled   INT     NOT NULL DEFAULT 0 CHECK (cancelled >= 0)
);
CREATE INDEX registration_projection_activity ON registration_projection (activity_id);

CREATE TABLE registration_organisations (
    activity_id     UUID NOT NULL,
    organisation_id TEXT NOT NULL,
    PRIMARY KEY (activity_id, organisation_id)
);

-- PTCEs: description and status (guard `status_version`), created_on from the event's time.
CREATE TABLE ptce_projection (
    ptce_id        UUID   PRIMARY KEY,
    version        BIGINT NOT NULL CHECK (version >= 0),
    status_version BIGINT NOT NULL CHECK (status_version >= 0),
    name           TEXT,
    territory      TEXT,
    status         TEXT,
    created_on     DATE
);

-- Membership of a PTCE: one row per (PTCE, partner), the latest join/leave wins.
CREATE TABLE ptce_member_projection (
    ptce_id    UUID   NOT NULL,
    partner_id TEXT   NOT NULL,
    version    BIGINT NOT NULL CHECK (version > 0),
    joined_on  DATE,
    left_on    DATE,
    PRIMARY KEY (ptce_id, partner_id)
);

-- Initiatives and their dated stage history (one row per stage change, keyed by version).
CREATE TABLE initiative_projection (
    initiative_id UUID   PRIMARY KEY,
    version       BIGINT NOT NULL CHECK (version >= 0),
    kind          TEXT,
    territory     TEXT,
    stage         TEXT,
    since         DATE,
    created_on    DATE
);

CREATE TABLE initiative_stage_history (
    initiative_id UUID   NOT NULL,
    version       BIGINT NOT NULL CHECK (version > 0),
    from_stage    TEXT,
    to_stage      TEXT   NOT NULL,
    changed_on    DATE   NOT NULL,
    PRIMARY KEY (initiative_id, version)
);
CREATE INDEX initiative_stage_history_on ON initiative_stage_history (changed_on);

-- Published good-practice sheets.
CREATE TABLE practice_projection (
    practice_id  UUID   PRIMARY KEY,
    version      BIGINT NOT NULL CHECK (version > 0),
    title        TEXT   NOT NULL,
    axis         INT,
    partner_ids  TEXT[] NOT NULL DEFAULT '{}',
    published_on DATE   NOT NULL
);

-- The action plan: actions of the agreement per axis, and their target indicators. The achieved
-- value is never stored: it is computed from the projections when progress is asked for.
CREATE TABLE plan_actions (
    id          UUID        PRIMARY KEY,
    axis        INT         NOT NULL CHECK (axis BETWEEN 1 AND 5),
    title       TEXT        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description TEXT        NOT NULL DEFAULT '',
    version     BIGINT      NOT NULL CHECK (version > 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE plan_targets (
    action_id   UUID    NOT NULL REFERENCES plan_actions (id) ON DELETE CASCADE,
    position    INT     NOT NULL,
    indicator   TEXT    NOT NULL,
    -- The indicator's filters, empty when unused: an activity kind, a public, an initiative stage.
    activity_kind TEXT  NOT NULL DEFAULT '',
    public        TEXT  NOT NULL DEFAULT '',
    stage         TEXT  NOT NULL DEFAULT '',
    period_from DATE    NOT NULL,
    period_to   DATE    NOT NULL CHECK (period_to >= period_from),
    target      NUMERIC NOT NULL CHECK (target > 0),
    PRIMARY KEY (action_id, position)
);

-- Published reports: the rendered files, immutable.
CREATE TABLE published_reports (
    id           UUID        PRIMARY KEY,
    kind         TEXT        NOT NULL CHECK (kind IN ('bilan_annuel', 'point_avancement', 'panorama')),
    title        TEXT        NOT NULL,
    period_from  DATE        NOT NULL,
    period_to    DATE        NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE published_report_files (
    report_id    UUID  NOT NULL REFERENCES published_reports (id) ON DELETE CASCADE,
    name         TEXT  NOT NULL,
    format       TEXT  NOT NULL CHECK (format IN ('html', 'md', 'csv')),
    content_type TEXT  NOT NULL,
    content      BYTEA NOT NULL,
    PRIMARY KEY (report_id, name)
);
