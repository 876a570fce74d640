-- /find by part of a company or project name, without reading every application.
--
-- Each applicant and project name is indexed by its pairs of consecutive characters (a
-- Chinese name is searched by two characters as often as by more). A search picks the
-- rarest pair of what was typed and confirms the few candidates with LIKE, so it finds
-- exactly what a scan of the table would, newest first. Pairs are ASCII-lowercased, as
-- LIKE compares them. The rows are derived data, kept in step by the triggers below.

CREATE TABLE application_name_pairs (
    pair            TEXT    NOT NULL,
    application_id  INTEGER NOT NULL,
    PRIMARY KEY (pair, application_id)
) WITHOUT ROWID;

-- Where a pair can start in a name of at most 100 characters (process/validators.py).
CREATE TABLE name_pair_positions (position INTEGER PRIMARY KEY);
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 99)
INSERT INTO name_pair_positions (position) SELECT i FROM n;

CREATE TRIGGER application_name_pairs_insert AFTER INSERT ON applications
BEGIN
    INSERT OR IGNORE INTO application_name_pairs (pair, application_id)
    SELECT lower(substr(names.name, p.position, 2)), NEW.id
    FROM (SELECT NEW.applicant_name AS name UNION ALL SELECT NEW.project_name) AS names
    JOIN name_pair_positions AS p ON p.position < length(names.name);
END;

CREATE TRIGGER application_name_pairs_update
AFTER UPDATE OF applicant_name, project_name ON applications
BEGIN
    DELETE FROM application_name_pairs
    WHERE application_id = OLD.id AND pair IN (
        SELECT lower(substr(names.name, p.position, 2))
        FROM (SELECT OLD.applicant_name AS name UNION ALL SELECT OLD.project_name) AS names
        JOIN name_pair_positions AS p ON p.position < length(names.name));
    INSERT OR IGNORE INTO application_name_pairs (pair, application_id)
    SELECT lower(substr(names.name, p.position, 2)), NEW.id
    FROM (SELECT NEW.applicant_name AS name UNION ALL SELECT NEW.project_name) AS names
    JOIN name_pair_positions AS p ON p.position < length(names.name);
END;

CREATE TRIGGER application_name_pairs_delete AFTER DELETE ON applications
BEGIN
    DELETE FROM application_name_pairs
    WHERE application_id = OLD.id AND pair IN (
        SELECT lower(substr(names.name, p.position, 2))
        FROM (SELECT OLD.applicant_name AS name UNION ALL SELECT OLD.project_name) AS names
        JOIN name_pair_positions AS p ON p.position < length(names.name));
END;

-- The applications submitted before this version.
INSERT OR IGNORE INTO application_name_pairs (pair, application_id)
SELECT lower(substr(names.name, p.position, 2)), names.id
FROM (SELECT id, applicant_name AS name FROM applications
      UNION ALL SELECT id, project_name FROM applications) AS names
JOIN name_pair_positions AS p ON p.position < length(names.name);
