-- The Telegram updates this bot has handled, so that one delivered twice is handled once
-- (SQLite's 0018 says why and how). Telegram's update ids are BIGINT here.

CREATE TABLE processed_updates (
    update_id   BIGINT PRIMARY KEY,
    handled_at  TEXT   NOT NULL
);

CREATE INDEX processed_updates_by_age ON processed_updates (handled_at);
