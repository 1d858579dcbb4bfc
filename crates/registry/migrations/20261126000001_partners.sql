-- Partners of the partnership. Rules mirror the domain types (domain/partner.rs, domain/siret.rs).
CREATE TABLE partners (
    id               UUID        PRIMARY KEY,
    name             TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    siret            CHAR(14)    NOT NULL CHECK (siret ~ '^[0-9]{14}$'),
    commune_code     TEXT,
    postal_code      TEXT        CHECK (postal_code ~ '^[0-9]{5}$'),
    departement_code TEXT        NOT NULL,
    version          BIGINT      NOT NULL CHECK (version > 0),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT partners_siret_key UNIQUE (siret),
    CONSTRAINT partners_location_given CHECK (commune_code IS NOT NULL OR postal_code IS NOT NULL)
);
