-- The indicator cube pre-summed at each territory level above the commune, so that a query by EPCI,
-- département, former region or region reads a few thousand rows instead of every commune-level
-- fact (a SIRENE stock of one million establishments gives some 300,000 facts). Rebuilt from
-- `facts` in the transaction of every import (see `store::cube::refresh_rollup`); commune-level
-- queries keep reading `facts`, through `facts_commune`.
CREATE TABLE facts_rollup (
    dataset_id        UUID    NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    year              INT     NOT NULL,
    level             TEXT    NOT NULL CHECK (level IN ('epci', 'departement', 'ancienne_region', 'region')),
    territory         TEXT    NOT NULL,
    family            TEXT,
    na88              TEXT,
    naf_section       TEXT,
    establishments    BIGINT  NOT NULL,
    employees         NUMERIC NOT NULL,
    payroll           NUMERIC,
    -- NULL when any summed fact lacked it (the dominance rule then cannot be applied).
    largest_employees NUMERIC,
    largest_payroll   NUMERIC
);

CREATE INDEX facts_rollup_query ON facts_rollup (dataset_id, year, level);
CREATE INDEX facts_commune ON facts (dataset_id, year, commune) WHERE commune IS NOT NULL;

-- Datasets imported before this table existed.
INSERT INTO facts_rollup
SELECT dataset_id, year, l.level, l.territory, family, na88, naf_section, sum(establishments), sum(employees),
       sum(payroll),
       CASE WHEN bool_and(largest_employees IS NOT NULL) THEN max(largest_employees) END,
       CASE WHEN bool_and(largest_payroll IS NOT NULL) THEN max(largest_payroll) END
FROM facts
CROSS JOIN LATERAL (VALUES ('epci', epci), ('departement', departement), ('ancienne_region', ancienne_region),
                           ('region', region)) AS l (level, territory)
WHERE l.territory IS NOT NULL
GROUP BY dataset_id, year, l.level, l.territory, family, na88, naf_section;
