-- Projection of activities events (durable consumer observatory-activities): one row per activity
-- with its description, status and outcome counts. Each has its own version guard (the latest
-- event carrying it wins), so any delivery order gives the same row: `version` for the
-- description, `status_version` for the status, `outcome_version` for the counts. People reached
-- by public are in their own table, replaced with the counts.
CREATE TABLE activity_projection (
    activity_id      UUID    PRIMARY KEY,
    version          BIGINT  NOT NULL CHECK (version >= 0),
    status_version   BIGINT  NOT NULL CHECK (status_version >= 0),
    outcome_version  BIGINT  NOT NULL DEFAULT 0 CHECK (outcome_version >= 0),
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'scheduled', 'completed', 'cancelled')),
    kind             TEXT,
    axes             INT[]   NOT NULL DEFAULT '{}',
    publics          TEXT[]  NOT NULL DEFAULT '{}',
    campaign         TEXT,
    departement_code TEXT,
    attendees        INT     NOT NULL DEFAULT 0 CHECK (attendees >= 0),
    female           INT     NOT NULL DEFAULT 0 CHECK (female >= 0),
    male             INT     NOT NULL DEFAULT 0 CHECK (male >= 0),
    sex_not_given    INT     NOT NULL DEFAULT 0 CHECK (sex_not_given >= 0),
    under_26         INT     NOT NULL DEFAULT 0 CHECK (under_26 >= 0),
    age_26_49        INT     NOT NULL DEFAULT 0 CHECK (age_26_49 >= 0),
    age_50_and_over  INT     NOT NULL DEFAULT 0 CHECK (age_50_and_over >= 0),
    age_not_given    INT     NOT NULL DEFAULT 0 CHECK (age_not_given >= 0),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE activity_attendance_by_public (
    activity_id UUID NOT NULL REFERENCES activity_projection (activity_id) ON DELETE CASCADE,
    public      TEXT NOT NULL,
    attendees   INT  NOT NULL CHECK (attendees >= 0),
    PRIMARY KEY (activity_id, public)
);
