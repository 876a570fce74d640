-- A member's queue from the deadlines the reminder sweep stored (SQLite's 0021 says why).

CREATE INDEX reminder_watch_queue_cm
    ON reminder_watch (cm, due_on, application_id, state, kind, check_on)
    WHERE kind = 'stage' AND check_on != '';

CREATE INDEX reminder_watch_queue_pm
    ON reminder_watch (pm, due_on, application_id, state, kind, check_on)
    WHERE kind = 'stage' AND check_on != '';

CREATE INDEX reminder_watch_queue_district
    ON reminder_watch (district, due_on, application_id, state, kind, check_on)
    WHERE kind = 'stage' AND check_on != '';
