-- Whether the bot's replies to a handled update left. An update commits with its answer
-- before the bot replies, so a process killed in between leaves the update recorded handled
-- and the customer unanswered; the redelivery Telegram then makes must be answered, while
-- the redelivery of an update whose replies did leave (killed before the webhook's answer,
-- or simply a duplicate) must be skipped in silence. ``answered_at`` is written once the
-- update's handling has ended, in a commit that does not wait for the disk
-- (storage/units.py, storage/persistence.py).
--
-- Updates handled before this release: whether their replies left is not known; they are
-- taken as answered, as every redelivery was until now.

ALTER TABLE processed_updates ADD COLUMN answered_at TEXT;

UPDATE processed_updates SET answered_at = handled_at;
