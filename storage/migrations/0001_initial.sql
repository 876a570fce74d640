-- The first schema: customers, their drafts, submitted applications with their stage
-- visits, documents and debts, the append-only event log and saved conversation states.
--
-- Conventions: timestamps are ISO-8601 UTC text, dates are 'YYYY-MM-DD', flags are 0/1,
-- JSON columns are text checked with json_valid().

CREATE TABLE users (
    user_id         INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    first_name      TEXT,
    username        TEXT,
    locale          TEXT    NOT NULL,
    locale_chosen   INTEGER NOT NULL DEFAULT 0 CHECK (locale_chosen IN (0, 1)),
    phone           TEXT,
    phone_verified  INTEGER NOT NULL DEFAULT 0 CHECK (phone_verified IN (0, 1)),
    unreachable_at  TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

CREATE TABLE drafts (
    user_id     INTEGER PRIMARY KEY REFERENCES users (user_id),
    fields      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),
    deferred    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(deferred)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE draft_documents (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES drafts (user_id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    file_id         TEXT    NOT NULL,
    file_unique_id  TEXT,
    file_name       TEXT,
    mime_type       TEXT,
    file_size       INTEGER,
    uploaded_at     TEXT    NOT NULL
);
CREATE INDEX draft_documents_by_user ON draft_documents (user_id, kind);

CREATE TABLE application_counters (
    year      INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL CHECK (last_seq > 0)
);

CREATE TABLE applications (
    id                    INTEGER PRIMARY KEY,
    number                TEXT    NOT NULL UNIQUE,
    customer_id           INTEGER NOT NULL REFERENCES users (user_id),
    applicant_name        TEXT,
    uscc                  TEXT,
    project_name          TEXT,
    site_address          TEXT,
    district              TEXT,
    usage_category        TEXT,
    voltage_kv            INTEGER,
    capacity_kva          INTEGER,
    supply_mode           TEXT,
    important_load        INTEGER CHECK (important_load IN (0, 1)),
    grid_works            TEXT,
    wanted_date           TEXT,
    contact_name          TEXT,
    contact_mobile        TEXT,
    stage                 TEXT    NOT NULL
        CHECK (stage IN ('accept', 'plan', 'design', 'contract', 'energize', 'done')),
    status                TEXT    NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'done', 'withdrawn')),
    version               INTEGER NOT NULL DEFAULT 1,
    customer_manager_id   INTEGER,
    project_manager_id    INTEGER,
    plan_due_date         TEXT,
    plan_due_provisional  INTEGER NOT NULL DEFAULT 0 CHECK (plan_due_provisional IN (0, 1)),
    submitted_at          TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL
);
CREATE INDEX applications_by_customer ON applications (customer_id);
CREATE INDEX applications_by_status_stage ON applications (status, stage);
CREATE INDEX applications_by_applicant ON applications (applicant_name);
CREATE INDEX applications_by_customer_manager ON applications (customer_manager_id);

CREATE TABLE stage_visits (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    stage           TEXT    NOT NULL,
    limit_days      INTEGER NOT NULL CHECK (limit_days >= 0),
    started_at      TEXT    NOT NULL,
    ended_at        TEXT
);
CREATE INDEX stage_visits_by_application ON stage_visits (application_id, ended_at);
-- An application is in one stage at a time.
CREATE UNIQUE INDEX stage_visits_one_open ON stage_visits (application_id)
    WHERE ended_at IS NULL;

CREATE TABLE clock_pauses (
    id              INTEGER PRIMARY KEY,
    stage_visit_id  INTEGER NOT NULL REFERENCES stage_visits (id),
    reason          TEXT    NOT NULL,
    started_at      TEXT    NOT NULL,
    ended_at        TEXT
);
CREATE INDEX clock_pauses_by_visit ON clock_pauses (stage_visit_id);
-- A stopped clock cannot be stopped again.
CREATE UNIQUE INDEX clock_pauses_one_open ON clock_pauses (stage_visit_id)
    WHERE ended_at IS NULL;

CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    kind            TEXT    NOT NULL,
    file_id         TEXT    NOT NULL,
    file_unique_id  TEXT,
    file_name       TEXT,
    mime_type       TEXT,
    file_size       INTEGER,
    caption         TEXT,
    uploaded_by     INTEGER,
    uploaded_at     TEXT    NOT NULL
);
CREATE INDEX documents_by_application ON documents (application_id, kind);

CREATE TABLE owed_items (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    kind            TEXT    NOT NULL,
    detail          TEXT,
    created_at      TEXT    NOT NULL,
    resolved_at     TEXT
);
CREATE INDEX owed_items_by_application ON owed_items (application_id, resolved_at);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER REFERENCES applications (id),
    actor_id        INTEGER,
    actor_role      TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    note            TEXT,
    data            TEXT CHECK (data IS NULL OR json_valid(data)),
    created_at      TEXT    NOT NULL
);
CREATE INDEX events_by_application ON events (application_id, id);

-- The event log is evidence of who did what and when: it is never rewritten.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE conversations (
    name        TEXT NOT NULL,
    key         TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
