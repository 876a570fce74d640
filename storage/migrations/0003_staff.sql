-- Staff: the utility's people with their roles, the one-time invite codes that enrol them,
-- and wrong-code attempts for rate limiting. Plus the indexes that assignment and the work
-- queues read on every submission and every /queue.

CREATE TABLE staff (
    user_id           INTEGER PRIMARY KEY REFERENCES users (user_id),
    name              TEXT    NOT NULL,
    role              TEXT    NOT NULL
        CHECK (role IN ('customer_manager', 'project_manager', 'supervisor', 'admin')),
    district          TEXT,                 -- NULL: every district
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    last_assigned_at  TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    disabled_at       TEXT
);
CREATE INDEX staff_by_role ON staff (role, active, district);

-- Only the SHA-256 of a code is kept: a copy of the database enrols nobody.
CREATE TABLE invites (
    code_hash   TEXT PRIMARY KEY,
    role        TEXT NOT NULL
        CHECK (role IN ('customer_manager', 'project_manager', 'supervisor', 'admin')),
    name        TEXT NOT NULL,
    district    TEXT,
    created_by  INTEGER,                    -- NULL: issued from the command line
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER,
    CHECK ((used_at IS NULL) = (used_by IS NULL))
);

CREATE TABLE join_attempts (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL,
    at       TEXT    NOT NULL
);
CREATE INDEX join_attempts_by_user ON join_attempts (user_id, at);

-- The load of a manager (open applications held) and their queue. The composite index
-- replaces the single-column one, which it covers.
DROP INDEX applications_by_customer_manager;
CREATE INDEX applications_by_customer_manager ON applications (customer_manager_id, status);
CREATE INDEX applications_by_project_manager ON applications (project_manager_id, status);
-- A supervisor's queue: the open applications of a district.
CREATE INDEX applications_by_district ON applications (district, status);
