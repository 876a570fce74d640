-- More personal data sealed at rest (see storage/sealed.py and README "Personal data is
-- encrypted at rest"), and notes that can be erased on request.
--
-- Newly sealed: customers' Telegram first names and usernames, document file names (an
-- identity card scan is called after its owner), survey comments, notes, and the applicant's
-- name and site address when they are a person's: a sole trader (个体工商户, credit code
-- starting "92") or a residential connection. Values already stored are sealed by the bot at
-- its next start (it holds the key; SQL does not), as they were when sealing began in 0007:
-- forgetting the 'nothing_in_clear' fact below makes that start look again.

DELETE FROM storage_facts WHERE name = 'nothing_in_clear';

-- Whether the applicant is a person: 1 yes, 0 no, NULL not yet known (a credit code sealed
-- since 0007 is read by the bot at start-up, storage/rotate.py classify_applicants). Its name and site address are
-- sealed when it is 1. Staff still find such an application by the applicant's whole name,
-- through a keyed hash, instead of by any part of it.
ALTER TABLE applications ADD COLUMN personal_applicant INTEGER
    CHECK (personal_applicant IN (0, 1));
UPDATE applications SET personal_applicant = 1 WHERE usage_category = 'residential';
UPDATE applications SET personal_applicant = (upper(COALESCE(substr(uscc, 1, 2), '')) = '92')
WHERE personal_applicant IS NULL AND (uscc IS NULL OR substr(uscc, 1, 4) != 'hv1:');
ALTER TABLE applications ADD COLUMN applicant_name_hash TEXT;
CREATE INDEX applications_by_applicant_hash ON applications (applicant_name_hash)
    WHERE applicant_name_hash IS NOT NULL;

-- A sealed name has no pairs of characters to search by: the pair index (0008) takes only
-- names in clear, and loses a name's pairs when it is sealed.
DROP TRIGGER application_name_pairs_insert;
DROP TRIGGER application_name_pairs_update;

CREATE TRIGGER application_name_pairs_insert AFTER INSERT ON applications
BEGIN
    INSERT OR IGNORE INTO application_name_pairs (pair, application_id)
    SELECT lower(substr(names.name, p.position, 2)), NEW.id
    FROM (SELECT NEW.applicant_name AS name UNION ALL SELECT NEW.project_name) AS names
    JOIN name_pair_positions AS p ON p.position < length(names.name)
    WHERE substr(names.name, 1, 4) != 'hv1:';
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
    JOIN name_pair_positions AS p ON p.position < length(names.name)
    WHERE substr(names.name, 1, 4) != 'hv1:';
END;

-- Notes (what staff type with an action: a return's missing documents, a rejection's
-- reason) are free text that may hold a phone number or a name. They were stored in clear in
-- the append-only events, and again in owed_items.detail for a return. From now on a note is
-- stored once, sealed, in this table; the event and the owed item refer to it. Erasing a
-- note on request empties its row and keeps the event, so the history of the process stays
-- whole. note_hash (keyed) lets the two writes of one action share the row.
CREATE TABLE notes (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER REFERENCES applications (id),
    note            TEXT,
    note_hash       TEXT,
    created_at      TEXT NOT NULL,
    erased_at       TEXT,
    CHECK (erased_at IS NULL OR (note IS NULL AND note_hash IS NULL))
);
CREATE INDEX notes_by_hash ON notes (application_id, note_hash);

ALTER TABLE events ADD COLUMN note_id INTEGER REFERENCES notes (id);
ALTER TABLE owed_items ADD COLUMN note_id INTEGER REFERENCES notes (id);

-- The notes written so far move out of the events (a note keeps its event's id) and of the
-- owed items (sharing the event's note where it is the same text); their clear copies are
-- emptied. This is the one time the events are rewritten: their triggers are lifted for
-- these statements only, in this migration's transaction.
INSERT INTO notes (id, application_id, note, created_at)
SELECT id, application_id, note, created_at FROM events WHERE note IS NOT NULL;

INSERT INTO notes (application_id, note, created_at)
SELECT o.application_id, o.detail, o.created_at FROM owed_items o
WHERE o.detail IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM notes n WHERE n.application_id = o.application_id AND n.note = o.detail);

UPDATE owed_items SET
    note_id = (SELECT MAX(n.id) FROM notes n
               WHERE n.application_id = owed_items.application_id
                 AND n.note = owed_items.detail),
    detail = NULL
WHERE detail IS NOT NULL;

DROP TRIGGER events_no_update;
UPDATE events SET note_id = id, note = NULL WHERE note IS NOT NULL;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- The old places refuse a note in clear: it would never be erasable.
CREATE TRIGGER events_note_in_notes BEFORE INSERT ON events WHEN NEW.note IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'an event''s note belongs in notes (storage/notes.py)');
END;

CREATE TRIGGER owed_items_detail_in_notes BEFORE INSERT ON owed_items
WHEN NEW.detail IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'an owed item''s detail belongs in notes (storage/notes.py)');
END;

-- A customer whose personal data was erased on request (hvconnect erase-customer).
ALTER TABLE users ADD COLUMN erased_at TEXT;
