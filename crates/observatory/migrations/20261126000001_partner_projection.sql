-- Projection of registry partners, built from ess.registry.partner.* events. One row per partner,
-- with the aggregate version that produced it: an older event never overwrites a newer one.
CREATE TABLE partner_projection (
    partner_id       UUID        PRIMARY KEY,
    departement_code TEXT        NOT NULL,
    commune_code     TEXT,
    version          BIGINT      NOT NULL CHECK (version > 0),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX partner_projection_departement ON partner_projection (departement_code);
