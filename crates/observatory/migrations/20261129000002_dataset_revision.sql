-- Bumped by every import of a dataset (a re-import keeps the id but replaces the facts), so that
-- indicator tables computed from one import are never served for another (`grpc::cube_cache`).
ALTER TABLE datasets ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
