-- Activities, their organisers and sessions, registrations, outcomes and good-practice sheets.
-- Rules mirror the domain types (src/domain/): keys as in activity.rs and registration.rs.
CREATE TABLE activities (
    id               UUID        PRIMARY KEY,
    title            TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description      TEXT        NOT NULL,
    kind             TEXT        NOT NULL,
    axes             SMALLINT[]  NOT NULL CHECK (cardinality(axes) >= 1 AND axes <@ ARRAY[1,2,3,4,5]::SMALLINT[]),
    publics          TEXT[]      NOT NULL,
    campaign         TEXT,
    online           BOOLEAN     NOT NULL,
    commune_code     TEXT,
    address          TEXT,
    departement_code TEXT,
    status           TEXT        NOT NULL CHECK (status IN ('draft', 'scheduled', 'completed', 'cancelled')),
    flag             TEXT,
    version          BIGINT      NOT NULL CHECK (version > 0),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT activities_venue CHECK (online OR (commune_code IS NOT NULL AND address IS NOT NULL))
);
CREATE INDEX activities_campaign ON activities (campaign);
CREATE INDEX activities_departement ON activities (departement_code);

CREATE TABLE activity_organisers (
    activity_id  UUID    NOT NULL REFERENCES activities (id),
    partner_id   UUID    NOT NULL,
    co_organiser BOOLEAN NOT NULL,
    position     INT     NOT NULL,
    PRIMARY KEY (activity_id, partner_id)
);
CREATE INDEX activity_organisers_partner ON activity_organisers (partner_id);

CREATE TABLE sessions (
    id          UUID        PRIMARY KEY,
    activity_id UUID        NOT NULL REFERENCES activities (id),
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ NOT NULL,
    capacity    INT         NOT NULL CHECK (capacity > 0),
    -- Version of the session as an event aggregate (registration events), +1 per change.
    version     BIGINT      NOT NULL DEFAULT 0,
    CONSTRAINT sessions_end_after_start CHECK (ends_at > starts_at)
);
CREATE INDEX sessions_activity ON sessions (activity_id, starts_at);

-- name and email are NULL once erased; the other columns stay for the figures.
CREATE TABLE registrations (
    id              UUID        PRIMARY KEY,
    -- Arrival order: the waitlist is promoted in this order.
    seq             BIGSERIAL   NOT NULL,
    session_id      UUID        NOT NULL REFERENCES sessions (id),
    activity_id     UUID        NOT NULL REFERENCES activities (id),
    name            TEXT,
    email           TEXT,
    organisation_id UUID,
    public          TEXT        NOT NULL,
    sex             TEXT        NOT NULL CHECK (sex IN ('F', 'H', 'not_given')),
    age_band        TEXT        NOT NULL CHECK (age_band IN ('under_26', '26_49', '50_and_over', 'not_given')),
    consent         BOOLEAN     NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('registered', 'waitlisted', 'cancelled', 'attended', 'no_show')),
    erased_at       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT registrations_erased CHECK (erased_at IS NULL OR (name IS NULL AND email IS NULL))
);
CREATE UNIQUE INDEX registrations_email_once ON registrations (session_id, email)
    WHERE email IS NOT NULL AND status <> 'cancelled';
CREATE INDEX registrations_session ON registrations (session_id, seq);
CREATE INDEX registrations_organisation ON registrations (organisation_id);

CREATE TABLE activity_outcomes (
    activity_id     UUID PRIMARY KEY REFERENCES activities (id),
    total           INT  NOT NULL CHECK (total >= 0),
    female          INT  NOT NULL CHECK (female >= 0),
    male            INT  NOT NULL CHECK (male >= 0),
    sex_not_given   INT  NOT NULL CHECK (sex_not_given >= 0),
    under_26        INT  NOT NULL CHECK (under_26 >= 0),
    age_26_49       INT  NOT NULL CHECK (age_26_49 >= 0),
    age_50_and_over INT  NOT NULL CHECK (age_50_and_over >= 0),
    age_not_given   INT  NOT NULL CHECK (age_not_given >= 0),
    CHECK (female + male + sex_not_given = total),
    CHECK (under_26 + age_26_49 + age_50_and_over + age_not_given = total)
);

CREATE TABLE activity_outcome_publics (
    activity_id UUID NOT NULL REFERENCES activity_outcomes (activity_id),
    public      TEXT NOT NULL,
    attendees   INT  NOT NULL CHECK (attendees >= 0),
    PRIMARY KEY (activity_id, public)
);

CREATE TABLE practices (
    id           UUID        PRIMARY KEY,
    title        TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    summary      TEXT        NOT NULL,
    body         TEXT        NOT NULL,
    activity_ids UUID[]      NOT NULL,
    partner_ids  UUID[]      NOT NULL,
    axis         SMALLINT    NOT NULL CHECK (axis BETWEEN 1 AND 5),
    tags         TEXT[]      NOT NULL,
    status       TEXT        NOT NULL CHECK (status IN ('draft', 'published')),
    version      BIGINT      NOT NULL CHECK (version > 0),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Archived partners stay in the directory (history) but are marked.
ALTER TABLE partner_directory ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false;
