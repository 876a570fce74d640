-- Applications typed in for a customer who is not (yet) in Telegram: a 95598 operator or the
-- service hall files one through the integration API, and the customer links it to their chat
-- later with a one-time claim code.
--
-- The customer of such an application is a placeholder user row with a negative id (Telegram
-- user ids are positive): applications.customer_id stays NOT NULL and every read that joins
-- the customer keeps working, without rebuilding applications and its triggers. Nothing is
-- ever sent to a placeholder (notifications/outbox.py drops its messages; the reminder sweeps
-- skip it); the claim makes the Telegram user the application's customer.

-- One claim code per application: only its hash is kept, and it works once, before it expires.
CREATE TABLE claim_codes (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id),
    code_hash       TEXT    NOT NULL UNIQUE,
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    claimed_at      TEXT,
    claimed_by      INTEGER
);

-- An application filed on behalf of a customer, by the client's idempotency key: the same
-- key from the same client gives back the first result; the request's fingerprint tells a
-- repeat from a different body sent under the same key.
CREATE TABLE intake_requests (
    client           TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    request_hash     TEXT    NOT NULL,
    application_id   INTEGER NOT NULL REFERENCES applications (id),
    claim_code       TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    PRIMARY KEY (client, idempotency_key)
);
