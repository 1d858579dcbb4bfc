-- SIRET and NAF section become `text` (same checks). sqlx binds Rust strings as `text`, and a
-- `char(n)` column compared with a `text` parameter is cast to `text` first, so the comparison
-- cannot use the column's index: the look-up by SIREN or SIRET read every partner (a parallel
-- sequential scan), and the NAF-section listing walked the département's partners instead of
-- `partners_departement_naf` (6 to 11 ms instead of 0.1 ms, over 147,000 partners).
--
-- The generated `siren` column goes first: it would block the change of type, and nothing reads
-- it since a SIREN is looked up as a range of SIRETs (20261128000001_listing_indexes.sql).
ALTER TABLE partners DROP COLUMN siren;
ALTER TABLE partners
    ALTER COLUMN siret TYPE text,
    ALTER COLUMN naf_section TYPE text,
    DROP CONSTRAINT partners_naf_section_check,
    ADD CONSTRAINT partners_naf_section_check CHECK (naf_section ~ '^[A-U]$');
-- The change of type drops the two columns' statistics.
ANALYZE partners;
