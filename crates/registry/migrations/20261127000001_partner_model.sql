-- The full partner model (issue 3): identity, classification, address, headcount, ESUS, themes,
-- status, a folded search text; contact persons; CRESS membership periods and affiliations.
-- Rules mirror the domain types (src/domain/); enum-like columns hold the domain's keys.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE partners
    ADD COLUMN siren          CHAR(9) GENERATED ALWAYS AS (substr(siret, 1, 9)) STORED,
    ADD COLUMN kind           TEXT    NOT NULL DEFAULT 'other'
        CHECK (kind IN ('ess_enterprise', 'network', 'employer_organisation', 'support_structure',
                        'public_body', 'training_body', 'other')),
    ADD COLUMN acronym        TEXT    CHECK (char_length(acronym) BETWEEN 1 AND 30),
    ADD COLUMN rna            TEXT    CHECK (rna ~ '^W[0-9]{9}$'),
    ADD COLUMN legal_category TEXT    CHECK (legal_category ~ '^[0-9]{4}$'),
    ADD COLUMN sirene_ess     BOOLEAN,
    ADD COLUMN ess_family     TEXT    NOT NULL DEFAULT 'hors_ess'
        CHECK (ess_family IN ('association', 'cooperative', 'mutuelle', 'fondation',
                              'societe_commerciale_ess', 'hors_ess')),
    ADD COLUMN naf_code       TEXT    CHECK (naf_code ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$'),
    ADD COLUMN naf_section    CHAR(1) CHECK (naf_section BETWEEN 'A' AND 'U'),
    ADD COLUMN epci_code      TEXT,
    ADD COLUMN address_line   TEXT    CHECK (char_length(address_line) <= 300),
    ADD COLUMN headcount_band TEXT,
    ADD COLUMN headcount_year INTEGER,
    ADD COLUMN headcount      INTEGER CHECK (headcount >= 0),
    ADD COLUMN esus_from      DATE,
    ADD COLUMN esus_until     DATE,
    ADD COLUMN themes         TEXT[]  NOT NULL DEFAULT '{}',
    ADD COLUMN status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    ADD COLUMN cress_member   BOOLEAN NOT NULL DEFAULT false,
    -- Name and acronym folded by domain::search::fold (lower case, no accents); rows written before
    -- this migration get a plain lower case until their next change.
    ADD COLUMN search_text    TEXT    NOT NULL DEFAULT '',
    ADD CONSTRAINT partners_esus_order CHECK (esus_until IS NULL OR (esus_from IS NOT NULL AND esus_until >= esus_from));

UPDATE partners SET search_text = lower(name);

-- Listing: keyset pagination on (search_text, id); filters on the columns below; substring search
-- through trigrams.
CREATE INDEX partners_list_order ON partners (search_text, id);
CREATE INDEX partners_siren ON partners (siren);
CREATE INDEX partners_departement ON partners (departement_code, search_text, id);
CREATE INDEX partners_epci ON partners (epci_code);
CREATE INDEX partners_commune ON partners (commune_code);
CREATE INDEX partners_family ON partners (ess_family);
CREATE INDEX partners_naf ON partners (naf_code);
CREATE INDEX partners_search_trgm ON partners USING gin (search_text gin_trgm_ops);

-- Contact persons: personal data, deleted (not flagged) on erasure.
CREATE TABLE partner_contacts (
    id         UUID        PRIMARY KEY,
    partner_id UUID        NOT NULL REFERENCES partners (id),
    name       TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    role       TEXT,
    email      TEXT,
    phone      TEXT,
    consent    BOOLEAN     NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX partner_contacts_partner ON partner_contacts (partner_id);

-- CRESS membership periods; at most one open period per partner.
CREATE TABLE cress_memberships (
    partner_id   UUID    NOT NULL REFERENCES partners (id),
    member_from  DATE    NOT NULL,
    member_until DATE    CHECK (member_until >= member_from),
    college      TEXT,
    mandant      BOOLEAN NOT NULL,
    PRIMARY KEY (partner_id, member_from)
);
CREATE UNIQUE INDEX cress_memberships_one_open ON cress_memberships (partner_id) WHERE member_until IS NULL;

-- Partner X belongs to network Y.
CREATE TABLE affiliations (
    id         UUID PRIMARY KEY,
    partner_id UUID NOT NULL REFERENCES partners (id),
    network_id UUID NOT NULL REFERENCES partners (id),
    valid_from DATE NOT NULL,
    valid_until DATE CHECK (valid_until >= valid_from),
    CHECK (partner_id <> network_id)
);
CREATE INDEX affiliations_partner ON affiliations (partner_id);
CREATE INDEX affiliations_network ON affiliations (network_id);
