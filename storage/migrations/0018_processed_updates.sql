-- The Telegram updates this bot has handled, so that one delivered twice (Telegram retries a
-- webhook it got no answer from; long polling hands out again what a crash left unconfirmed)
-- is handled once. The id is written in the same transaction as what the update changed
-- (storage/units.py), so either both are on disk or neither is.
--
-- Telegram numbers updates one after another and retries for a day at most, so rows older
-- than a few days only take room: the daily sweep prunes them.

CREATE TABLE processed_updates (
    update_id   INTEGER PRIMARY KEY,
    handled_at  TEXT    NOT NULL
) WITHOUT ROWID;

CREATE INDEX processed_updates_by_age ON processed_updates (handled_at);
