-- The activities service's copy of registry partners, built from ess.registry.partner.* events:
-- organiser names shown in listings follow the registry without a call per listing.
CREATE TABLE partner_directory (
    partner_id UUID        PRIMARY KEY,
    name       TEXT        NOT NULL,
    version    BIGINT      NOT NULL CHECK (version > 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
