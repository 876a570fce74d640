-- /find and /queue without reading what they do not need.
--
-- How many applications hold each pair of characters (migration 0008's index), kept exact.
--
-- /find starts from the rarest pair of what was typed. Counting a pair's entries on every
-- search had to stop somewhere (500), and at a million applications every pair of a full
-- company name is past that: the search started from the first pair typed (the city, an
-- eighth of all names) instead of the brand (a thousandth). The counts are derived data,
-- kept in step with the index by the triggers below; the index's own triggers fire them, and
-- an INSERT OR IGNORE that inserts nothing fires nothing.

CREATE TABLE name_pair_counts (
    pair   TEXT    NOT NULL PRIMARY KEY,
    found  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER name_pair_counts_insert AFTER INSERT ON application_name_pairs
BEGIN
    INSERT OR IGNORE INTO name_pair_counts (pair, found) VALUES (NEW.pair, 0);
    UPDATE name_pair_counts SET found = found + 1 WHERE pair = NEW.pair;
END;

CREATE TRIGGER name_pair_counts_delete AFTER DELETE ON application_name_pairs
BEGIN
    UPDATE name_pair_counts SET found = found - 1 WHERE pair = OLD.pair;
END;

-- The pairs indexed before this version.
INSERT INTO name_pair_counts (pair, found)
SELECT pair, COUNT(*) FROM application_name_pairs GROUP BY pair;

-- A member's /queue reads each open application's number beside its id to order the queue;
-- with the number in the index that finds them, the look-up never reads the applications'
-- wide rows (500 of them for a busy manager, a district's thousands for its supervisor).
DROP INDEX applications_by_customer_manager;
CREATE INDEX applications_by_customer_manager
    ON applications (customer_manager_id, status, number);
DROP INDEX applications_by_project_manager;
CREATE INDEX applications_by_project_manager ON applications (project_manager_id, status, number);
DROP INDEX applications_by_district;
CREATE INDEX applications_by_district ON applications (district, status, number);
