-- Several bot instances on one database (PostgreSQL): who is sending which outbox row, and
-- Telegram's flood budget counted for all of them at once. SQLite runs one process and keeps
-- its budget in memory (notifications/pacing.py); the tables exist here too so that a schema
-- version means the same on both databases.
--
-- An instance claims a row for a while (``claimed_until``, domain time): a row still
-- 'sending' after that belonged to an instance that died, and is claimed again
-- (storage/outbox.py, "claim_due").

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;

-- The overall limit (30 messages a second) as 30 lanes: a message takes a free lane, and
-- the lane is free again a second after Telegram answered (storage/flood_budget.py).
-- Times are seconds since the epoch on the database's clock.
CREATE TABLE flood_lanes (
    lane     INTEGER PRIMARY KEY CHECK (lane >= 0),
    free_at  REAL    NOT NULL DEFAULT 0,
    ticket   TEXT
);

-- Per chat: when it may have its next message, and until when Telegram's 429 holds it.
-- Chat 0 (no Telegram chat has it) is the bot as a whole.
CREATE TABLE flood_chats (
    chat_id        INTEGER PRIMARY KEY,
    free_at        REAL    NOT NULL DEFAULT 0,
    flooded_until  REAL    NOT NULL DEFAULT 0
) WITHOUT ROWID;
