-- Each filter of a listing gets an index in the list's order, (filter, search_text, id), so that a
-- page walks it and stops after 50 partners. Before, a filter on its own either walked the name
-- order dropping the other partners, or read all of its partners and sorted them. Measured over
-- 147,000 partners (114,000 from a SIRENE load and 33,000 created through the API, whose names
-- sort first): the 5 networks 34 ms, the 32 CRESS members 31 ms, an EPCI 22 ms, the cooperatives
-- that are not CRESS members 17 ms.
DROP INDEX partners_commune;
CREATE INDEX partners_commune ON partners (commune_code, search_text, id);
DROP INDEX partners_epci;
CREATE INDEX partners_epci ON partners (epci_code, search_text, id);
DROP INDEX partners_family;
CREATE INDEX partners_family ON partners (ess_family, search_text, id);
DROP INDEX partners_naf;
CREATE INDEX partners_naf ON partners (naf_code, search_text, id);
CREATE INDEX partners_kind ON partners (kind, search_text, id);
-- Few partners are CRESS members: a partial index of them.
CREATE INDEX partners_cress_members ON partners (search_text, id) WHERE cress_member;
