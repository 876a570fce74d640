-- A member's queue from the deadlines the reminder sweep stored, without visiting each open
-- application (storage/staff/queue.py). A stage row the sweep has looked at (``check_on``
-- not '') holds its application's current holders and district: any change to them, to the
-- application's status or to the stage's clock puts the row back to '' (migrations 0005 and
-- 0011). So these rows answer "whose, and due when" for most of a queue, read in deadline
-- order from one index per kind of queue, with every column the page reads (``kind`` and
-- ``check_on`` too: SQLite reads a partial index's own condition from its columns).

CREATE INDEX reminder_watch_queue_cm
    ON reminder_watch (cm, due_on, application_id, state, kind, check_on)
    WHERE kind = 'stage' AND check_on != '';

CREATE INDEX reminder_watch_queue_pm
    ON reminder_watch (pm, due_on, application_id, state, kind, check_on)
    WHERE kind = 'stage' AND check_on != '';

CREATE INDEX reminder_watch_queue_district
    ON reminder_watch (district, due_on, application_id, state, kind, check_on)
    WHERE kind = 'stage' AND check_on != '';
