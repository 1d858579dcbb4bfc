-- PTCEs with dated member partners; initiatives with their stage history and support structures.
CREATE TABLE ptces (
    id              UUID        PRIMARY KEY,
    name            TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    territory       TEXT        NOT NULL CHECK (char_length(territory) BETWEEN 1 AND 200),
    lead_partner_id UUID        NOT NULL REFERENCES partners (id),
    themes          TEXT[]      NOT NULL DEFAULT '{}',
    status          TEXT        NOT NULL CHECK (status IN ('emerging', 'active', 'closed')),
    version         BIGINT      NOT NULL CHECK (version > 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ptce_members (
    ptce_id    UUID NOT NULL REFERENCES ptces (id),
    partner_id UUID NOT NULL REFERENCES partners (id),
    joined_on  DATE NOT NULL,
    left_on    DATE CHECK (left_on >= joined_on),
    PRIMARY KEY (ptce_id, partner_id, joined_on)
);
CREATE UNIQUE INDEX ptce_members_one_current ON ptce_members (ptce_id, partner_id) WHERE left_on IS NULL;
CREATE INDEX ptce_members_partner ON ptce_members (partner_id) WHERE left_on IS NULL;

CREATE TABLE initiatives (
    id         UUID        PRIMARY KEY,
    name       TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind       TEXT        NOT NULL CHECK (kind IN ('social_innovation', 'business_creation', 'takeover')),
    holder_id  UUID        NOT NULL REFERENCES partners (id),
    territory  TEXT        NOT NULL CHECK (char_length(territory) BETWEEN 1 AND 200),
    stage      TEXT        NOT NULL CHECK (stage IN ('idea', 'emergence', 'launch', 'consolidation', 'abandoned')),
    version    BIGINT      NOT NULL CHECK (version > 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX initiatives_holder ON initiatives (holder_id);

CREATE TABLE initiative_stages (
    initiative_id UUID   NOT NULL REFERENCES initiatives (id),
    seq           INT    NOT NULL,
    stage         TEXT   NOT NULL CHECK (stage IN ('idea', 'emergence', 'launch', 'consolidation', 'abandoned')),
    on_date       DATE   NOT NULL,
    note          TEXT   CHECK (char_length(note) <= 2000),
    PRIMARY KEY (initiative_id, seq)
);

CREATE TABLE initiative_supports (
    initiative_id UUID NOT NULL REFERENCES initiatives (id),
    partner_id    UUID NOT NULL REFERENCES partners (id),
    PRIMARY KEY (initiative_id, partner_id)
);
