-- Queries filtered on territories above the commune (a département's EPCIs, the dashboard's
-- territory page) read only their territories' pre-summed rows; the old index is this one's prefix.
CREATE INDEX facts_rollup_territory ON facts_rollup (dataset_id, year, level, territory);
DROP INDEX facts_rollup_query;
