-- Facts about the database itself, kept so that start-up need not work them out again: for
-- instance that no personal value is left in clear (a full scan of every sealed column).
CREATE TABLE storage_facts (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL
) WITHOUT ROWID;
