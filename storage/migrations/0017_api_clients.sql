-- The integration API's clients (the marketing system, the 95598 hotline, the service
-- website) and the calls each made.
--
-- A client's key is shown once, when it is created; only its SHA-256 is kept (storage/
-- api_clients.py says why a plain hash suffices). A revoked client keeps its row, so the
-- calls it made still name it.

CREATE TABLE api_clients (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    key_hash    TEXT    NOT NULL UNIQUE,
    scopes      TEXT    NOT NULL CHECK (json_valid(scopes)),
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);

-- Every call, answered or refused after the key was recognised: the API's audit trail.
CREATE TABLE api_calls (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES api_clients (id),
    method          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    application_id  INTEGER REFERENCES applications (id),
    created_at      TEXT    NOT NULL
);
CREATE INDEX api_calls_by_application ON api_calls (application_id, id)
    WHERE application_id IS NOT NULL;
CREATE INDEX api_calls_by_client ON api_calls (client_id, id);

-- Like the event log, the record of who read what is never rewritten.
CREATE TRIGGER api_calls_no_update BEFORE UPDATE ON api_calls
BEGIN
    SELECT RAISE(ABORT, 'api calls are append-only');
END;
