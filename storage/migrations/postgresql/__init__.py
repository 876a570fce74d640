"""PostgreSQL's migrations, numbered as SQLite's so that a schema version means the same on both.

PostgreSQL started later, with no database to carry forward, so its chain begins with one
baseline equal to SQLite's schema at version 0017 (``0017_baseline.sql``); every later
SQLite migration gets a PostgreSQL file of the same number. Timestamps stay the ISO-8601
TEXT that :mod:`storage.codec` writes, so both databases store and sort them alike; integers
are BIGINT (Telegram's ids outgrow INTEGER), and SQLite's triggers are PL/pgSQL functions.
"""
