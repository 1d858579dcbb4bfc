-- Listing indexes that keep a page of 50 under a few milliseconds over 100,000+ partners (issue 3),
-- and fewer indexes to maintain during a SIRENE load.
--
-- Text search. The trigram index answered "mesure 4242" in 25 ms over 114,000 partners because every
-- partner shares the trigrams of common words ("association", "structure de..."), and each
-- search merged those long posting lists. Words are indexed instead: `search_text` is already
-- folded to lower-case alphanumeric words separated by single spaces, so its words are the
-- lexemes as they are (no dictionary, no stemming). A search is then "every query word begins a
-- word of the name" (the GIN index, prefix matches) and "the folded query occurs in the name from
-- the beginning of a word" (a LIKE recheck on the few candidates). The index costs about half of
-- the trigram index to maintain.
ALTER TABLE partners ADD COLUMN search_words tsvector
    GENERATED ALWAYS AS (array_to_tsvector(array_remove(string_to_array(search_text, ' '), ''))) STORED;
CREATE INDEX partners_search_words ON partners USING gin (search_words);
DROP INDEX partners_search_trgm;

-- The partners whose words match, found through the word index only. The planner estimates a
-- prefix query without statistics at 2 % of the table whatever its words: for a rare name it
-- walked every partner in name order (35 to 175 ms), and for a common word it read the whole
-- index and sorted every partner (1 s). So the list decides (store::partners::list): it walks the
-- first partners in name order, which finds the page when the words are common; otherwise it asks
-- this function for at most `cap` candidates (its own settings leave the word index as the only
-- way in), and walks the name order again only when there are more.
CREATE FUNCTION partners_matching(words tsquery, cap integer) RETURNS SETOF partners
    LANGUAGE sql STABLE
    SET enable_seqscan = off
    SET enable_indexscan = off
    SET enable_bitmapscan = on
AS $$ SELECT * FROM partners WHERE search_words @@ words LIMIT cap $$;

-- NAF section within a département: the page walks this index in name order instead of walking
-- the département's partners and dropping the other sections (3,000 rows read for 50 in Orne).
CREATE INDEX partners_departement_naf ON partners (departement_code, naf_section, search_text, id);

-- Look-up by SIREN ranges over the SIRET's unique index (a SIRET starts with its SIREN), so the
-- SIREN needs no index of its own.
DROP INDEX partners_siren;
