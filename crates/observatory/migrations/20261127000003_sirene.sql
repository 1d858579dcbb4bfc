-- SIRENE legal units of the ESS perimeter, per dataset (edition of StockUniteLegale). The
-- establishments import of the same edition joins them to build its facts (set-based).
CREATE TABLE sirene_legal_units (
    dataset_id UUID NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    siren      TEXT NOT NULL CHECK (siren ~ '^[0-9]{9}$'),
    family     TEXT NOT NULL CHECK (family IN ('associations', 'cooperatives', 'mutuelles', 'fondations', 'societes_commerciales'))
);

CREATE INDEX sirene_legal_units_siren ON sirene_legal_units (dataset_id, siren);

-- SIRENE has no payroll: its facts leave it unknown rather than zero.
ALTER TABLE facts ALTER COLUMN payroll DROP NOT NULL;
