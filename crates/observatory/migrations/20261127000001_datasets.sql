-- Imported statistical datasets and the facts they hold (the indicator cube's base).
-- A dataset is identified by (source, edition); a re-import deletes and rewrites its facts in one
-- transaction, so readers see either the old facts or the new ones, never half of them.
CREATE TABLE datasets (
    id           UUID        PRIMARY KEY,
    source       TEXT        NOT NULL,
    edition      TEXT        NOT NULL,
    rows_read    BIGINT      NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    facts        BIGINT      NOT NULL DEFAULT 0 CHECK (facts >= 0),
    first_year   INT,
    last_year    INT,
    imported_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (source, edition)
);

-- One line of a dataset at the finest place / family / sector it gives; coarser levels are sums.
-- Territories: EPCI (SIREN), département, former region (25 = Basse-Normandie), region (28).
CREATE TABLE facts (
    dataset_id      UUID    NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    scope           TEXT    NOT NULL CHECK (scope IN ('ess', 'private')),
    year            INT     NOT NULL CHECK (year BETWEEN 1998 AND 2200),
    commune         TEXT,
    epci            TEXT,
    departement     TEXT,
    ancienne_region TEXT,
    region          TEXT,
    family          TEXT    CHECK (family IN ('associations', 'cooperatives', 'mutuelles', 'fondations', 'societes_commerciales')),
    na88            TEXT,
    naf_section     TEXT,
    establishments  BIGINT  NOT NULL CHECK (establishments >= 0),
    employees       NUMERIC NOT NULL CHECK (employees >= 0),
    payroll         NUMERIC NOT NULL CHECK (payroll >= 0),
    -- Largest single establishment's contribution, when establishment-level data exist (dominance rule).
    largest_employees NUMERIC,
    largest_payroll   NUMERIC,
    -- Figures estimated (e.g. employees from SIRENE headcount bands) rather than measured.
    estimated       BOOLEAN NOT NULL DEFAULT false
);

CREATE INDEX facts_dataset_year ON facts (dataset_id, year);
