-- Whether the bot's replies to a handled update left, so that a redelivery of an update
-- committed but never answered is answered (SQLite's 0020 says why and how). Updates
-- handled before this release are taken as answered.

ALTER TABLE processed_updates ADD COLUMN answered_at TEXT;

UPDATE processed_updates SET answered_at = handled_at;
