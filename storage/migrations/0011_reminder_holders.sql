-- The first run of a working day decides tens of thousands of staff reminders at once. To do
-- that without joining every stage visit to its application, and without writing every row
-- it tells, a 'stage' row now carries what the reminders need from its application and visit
-- as of the sweep's last look (see storage/reminder_points.py):
--   application_id, district, cm (customer manager), pm (project manager), stage, limit_days;
--   dated_on: the local day the point dates were worked out. A row dated before the day's
--   first pass is decided by that pass, from its dates alone (reminder_meta 'stage_day'
--   says which day's pass was done last); a row dated the same day is told on its own.
ALTER TABLE reminder_watch ADD COLUMN application_id INTEGER;
ALTER TABLE reminder_watch ADD COLUMN district TEXT;
ALTER TABLE reminder_watch ADD COLUMN cm INTEGER;
ALTER TABLE reminder_watch ADD COLUMN pm INTEGER;
ALTER TABLE reminder_watch ADD COLUMN stage TEXT;
ALTER TABLE reminder_watch ADD COLUMN limit_days INTEGER;
ALTER TABLE reminder_watch ADD COLUMN dated_on TEXT;

-- A row is looked at again when its application changes hands, district or status, as it
-- already is when its visit or clock pauses change.
CREATE TRIGGER reminder_watch_application_changed
AFTER UPDATE OF customer_manager_id, project_manager_id, district, status ON applications
WHEN NEW.customer_manager_id IS NOT OLD.customer_manager_id
  OR NEW.project_manager_id IS NOT OLD.project_manager_id
  OR NEW.district IS NOT OLD.district
  OR NEW.status IS NOT OLD.status
BEGIN
    UPDATE reminder_watch SET check_on = '', state = 'new'
     WHERE kind = 'stage' AND subject_id IN (
        SELECT id FROM stage_visits WHERE application_id = NEW.id AND ended_at IS NULL);
END;

-- A staff member's running stages in due order, with all the day pass reads: it counts
-- and lists a member's points from the index alone.
CREATE INDEX reminder_watch_by_cm ON reminder_watch (
    cm, due_on, application_id, half_on, before_on, deadline_on, dated_on, check_on,
    limit_days, reminded, pm, stage, district, state)
    WHERE kind = 'stage' AND state = 'running';
-- The same for project managers, in the stages where they act.
CREATE INDEX reminder_watch_by_pm ON reminder_watch (
    pm, due_on, application_id, half_on, before_on, deadline_on, dated_on, check_on,
    limit_days, reminded, cm, stage, district, state)
    WHERE kind = 'stage' AND state = 'running' AND pm IS NOT NULL
      AND stage IN ('design', 'contract');
-- Escalations and the digest count and list per district without reading the rows.
DROP INDEX reminder_watch_state;
CREATE INDEX reminder_watch_state ON reminder_watch (kind, state, district, due_on, application_id);

-- Every stage row is counted again by the next run, which fills the new columns. What was
-- told stays in 'reminded', so nothing is told twice across the upgrade.
UPDATE reminder_watch SET check_on = '' WHERE kind = 'stage';
