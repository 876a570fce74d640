-- Several bot instances on one database: outbox claims with a lease, and Telegram's flood
-- budget for the whole fleet (SQLite's 0019 says why and how). Times in the flood tables are
-- seconds since the epoch on this server's clock.

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;

CREATE TABLE flood_lanes (
    lane     INTEGER PRIMARY KEY CHECK (lane >= 0),
    free_at  DOUBLE PRECISION NOT NULL DEFAULT 0,
    ticket   TEXT
);
INSERT INTO flood_lanes (lane) SELECT generate_series(0, 29);

CREATE TABLE flood_chats (
    chat_id        BIGINT PRIMARY KEY,
    free_at        DOUBLE PRECISION NOT NULL DEFAULT 0,
    flooded_until  DOUBLE PRECISION NOT NULL DEFAULT 0
);
