-- What the reminder sweeps keep between runs, so that a run once a minute reads only what
-- may need a message now, however many applications are open.
--
-- One row per thing that may need a message: a stage visit (reminders to staff, and the
-- customer's progress follow-up) or an open owed item (reminders to the customer). check_on
-- is the local date from which a sweep looks at it again ('' = at the next run). The rows
-- are derived data: the triggers below put a row back to '' whenever its visit, pauses or
-- item change, and a sweep can always recompute a row from the tables it is derived from.

CREATE TABLE reminder_watch (
    kind        TEXT    NOT NULL CHECK (kind IN ('stage', 'followup', 'owed')),
    subject_id  INTEGER NOT NULL,           -- stage_visits.id, or owed_items.id for 'owed'
    check_on    TEXT    NOT NULL DEFAULT '',
    -- 'stage' rows only, as of the last look: whose clock runs, and the stage's due date.
    state       TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'running', 'paused')),
    due_on      TEXT,
    PRIMARY KEY (kind, subject_id)
) WITHOUT ROWID;
CREATE INDEX reminder_watch_check ON reminder_watch (kind, check_on);
-- Escalations and the digest: what is due today, overdue, or waiting on the customer.
CREATE INDEX reminder_watch_state ON reminder_watch (kind, state, due_on);

-- Which calendar the rows were computed with (administrator overrides may change it).
CREATE TABLE reminder_meta (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER reminder_watch_visit_opened AFTER INSERT ON stage_visits
WHEN NEW.ended_at IS NULL
BEGIN
    INSERT OR REPLACE INTO reminder_watch (kind, subject_id)
    VALUES ('stage', NEW.id), ('followup', NEW.id);
END;

CREATE TRIGGER reminder_watch_visit_closed AFTER UPDATE OF ended_at ON stage_visits
WHEN NEW.ended_at IS NOT NULL
BEGIN
    DELETE FROM reminder_watch WHERE kind IN ('stage', 'followup') AND subject_id = NEW.id;
END;

CREATE TRIGGER reminder_watch_pause_started AFTER INSERT ON clock_pauses
BEGIN
    UPDATE reminder_watch SET check_on = '', state = 'new'
     WHERE kind IN ('stage', 'followup') AND subject_id = NEW.stage_visit_id;
END;

CREATE TRIGGER reminder_watch_pause_ended AFTER UPDATE OF ended_at ON clock_pauses
BEGIN
    UPDATE reminder_watch SET check_on = '', state = 'new'
     WHERE kind IN ('stage', 'followup') AND subject_id = NEW.stage_visit_id;
END;

CREATE TRIGGER reminder_watch_owed_opened AFTER INSERT ON owed_items
WHEN NEW.resolved_at IS NULL
BEGIN
    INSERT OR REPLACE INTO reminder_watch (kind, subject_id) VALUES ('owed', NEW.id);
END;

CREATE TRIGGER reminder_watch_owed_settled AFTER UPDATE OF resolved_at ON owed_items
WHEN NEW.resolved_at IS NOT NULL
BEGIN
    DELETE FROM reminder_watch WHERE kind = 'owed' AND subject_id = NEW.id;
END;

-- What was already open before this version is looked at by the first run.
INSERT INTO reminder_watch (kind, subject_id)
SELECT 'stage', id FROM stage_visits WHERE ended_at IS NULL;
INSERT INTO reminder_watch (kind, subject_id)
SELECT 'followup', id FROM stage_visits WHERE ended_at IS NULL;
INSERT INTO reminder_watch (kind, subject_id)
SELECT 'owed', id FROM owed_items WHERE resolved_at IS NULL;

-- The last message a customer was sent about an application ("nothing new for N days").
CREATE INDEX outbox_by_application_user ON outbox (application_id, user_id, created_at);
-- The daily digest's "new since the last working day".
CREATE INDEX applications_by_submitted ON applications (submitted_at);
-- Customers who blocked the bot (their managers are asked to phone them).
CREATE INDEX users_unreachable ON users (unreachable_at) WHERE unreachable_at IS NOT NULL;
