-- The outbox: every message the bot sends on its own initiative, written in the same
-- transaction as the change that caused it and sent once by the sender.
--
-- status: 'pending' (waiting to be sent), 'sending' (handed to Telegram, answer not yet
-- recorded), 'sent', 'failed' (a transient error; retried at next_attempt_at), 'dead' (given
-- up: refused by Telegram or too many failures), 'unreachable' (the recipient blocked the bot).
-- attempts counts failed tries; Telegram's flood control ("retry after") is not a failure.

CREATE TABLE outbox (
    id                   INTEGER PRIMARY KEY,
    key                  TEXT    NOT NULL UNIQUE CHECK (length(key) > 0),
    chat_id              INTEGER NOT NULL,
    user_id              INTEGER,
    kind                 TEXT    NOT NULL CHECK (length(kind) > 0),
    application_id       INTEGER REFERENCES applications (id),
    text                 TEXT    NOT NULL CHECK (length(text) > 0),
    reply_markup         TEXT CHECK (reply_markup IS NULL OR json_valid(reply_markup)),
    document_file_id     TEXT,
    photo_file_id        TEXT,
    not_before           TEXT    NOT NULL,
    status               TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'unreachable')),
    attempts             INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at      TEXT    NOT NULL,
    last_error           TEXT,
    telegram_message_id  INTEGER,
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    sent_at              TEXT,
    -- One attachment at most; the text is then its caption.
    CHECK (document_file_id IS NULL OR photo_file_id IS NULL)
);

-- The sender's claim query: the few rows still to send among the many already sent.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
-- A chat's messages go out in order, and a blocked chat's waiting messages are retired together.
CREATE INDEX outbox_by_chat ON outbox (chat_id, status);
CREATE INDEX outbox_by_application ON outbox (application_id);
