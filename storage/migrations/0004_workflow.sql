-- The steps inside each stage, the survey times offered to customers, the day of
-- energization, and what a staff member is in the middle of typing for an action.

ALTER TABLE applications ADD COLUMN step TEXT NOT NULL DEFAULT 'accept_review';
ALTER TABLE applications ADD COLUMN energize_date TEXT;

CREATE TABLE survey_slots (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    round           INTEGER NOT NULL,
    starts_at       TEXT    NOT NULL,
    chosen          INTEGER NOT NULL DEFAULT 0 CHECK (chosen IN (0, 1)),
    created_at      TEXT    NOT NULL
);
CREATE INDEX survey_slots_by_application ON survey_slots (application_id, round);

-- An action that needs input (a note, survey times, a document) is started by a button and
-- finished by the next message; what it was, and on which version of the application, is
-- kept here so that a restart in between loses nothing.
CREATE TABLE pending_inputs (
    user_id         INTEGER PRIMARY KEY REFERENCES users (user_id),
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    action          TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    data            TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    created_at      TEXT    NOT NULL
);


-- The one conversation between a customer and their manager (一口对外), kept with the
-- application and shown on its card.
CREATE TABLE thread_messages (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    sender_id       INTEGER NOT NULL,
    sender_role     TEXT    NOT NULL,
    text            TEXT,
    file_id         TEXT,
    file_kind       TEXT CHECK (file_kind IN ('photo', 'document')),
    created_at      TEXT    NOT NULL
);
CREATE INDEX thread_messages_by_application ON thread_messages (application_id, id);
