-- The satisfaction survey: one per energized application, invited by the bot a working day
-- after energization. Each answer is written the moment it is given, so a customer can stop
-- and continue later; submitted_at marks the whole survey as sent, closed_at one that was
-- never finished in time. Scores stay NULL until answered.

CREATE TABLE survey_responses (
    id                INTEGER PRIMARY KEY,
    application_id    INTEGER NOT NULL UNIQUE REFERENCES applications (id),
    customer_id       INTEGER NOT NULL REFERENCES users (user_id),
    overall           INTEGER CHECK (overall BETWEEN 1 AND 5),
    speed             INTEGER CHECK (speed BETWEEN 1 AND 5),
    service           INTEGER CHECK (service BETWEEN 1 AND 5),
    informed          INTEGER CHECK (informed BETWEEN 1 AND 5),
    recommend         INTEGER CHECK (recommend BETWEEN 0 AND 10),
    comment           TEXT,
    invited_at        TEXT    NOT NULL,
    started_at        TEXT,
    updated_at        TEXT    NOT NULL,
    submitted_at      TEXT,
    closed_at         TEXT,
    reminders_sent    INTEGER NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0),
    -- A survey is answered or closed, never both; an answered one has every score.
    CHECK (submitted_at IS NULL OR closed_at IS NULL),
    CHECK (submitted_at IS NULL OR (overall IS NOT NULL AND speed IS NOT NULL
           AND service IS NOT NULL AND informed IS NOT NULL AND recommend IS NOT NULL))
);
-- The sweep reads the few surveys still waiting for an answer among the many finished.
CREATE INDEX survey_responses_waiting ON survey_responses (invited_at)
    WHERE submitted_at IS NULL AND closed_at IS NULL;
CREATE INDEX survey_responses_by_customer ON survey_responses (customer_id);
-- The sweep's other question, "which applications were energized lately", without reading
-- every application ever finished.
CREATE INDEX applications_by_status_updated ON applications (status, updated_at);
