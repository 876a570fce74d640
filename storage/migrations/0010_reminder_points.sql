-- The dates on which a running stage reaches each reminder point, worked out by the sweep
-- when it last looked at the stage (see storage/reminder_points.py), so that the first run
-- of a working day can decide and queue the day's reminders in a few set-wise statements
-- instead of recounting every stage clock. '0001-01-01' marks a point already passed.
-- reminded: the last point the responsible staff were told about ('half:5',
-- 'overdue:2026-12-03', ...), so that no point is told twice, across restarts too.
ALTER TABLE reminder_watch ADD COLUMN half_on TEXT;
ALTER TABLE reminder_watch ADD COLUMN before_on TEXT;
ALTER TABLE reminder_watch ADD COLUMN deadline_on TEXT;
ALTER TABLE reminder_watch ADD COLUMN reminded TEXT;
-- The stage rows a run must count afresh (changed, paused or without dates): found without
-- reading past the many rows whose stored dates already decide.
CREATE INDEX reminder_watch_to_count ON reminder_watch (check_on)
    WHERE kind = 'stage' AND (check_on = '' OR state != 'running' OR deadline_on IS NULL);
