"""The reminder sweeps' tables and the set-wise queries over them.

* :mod:`storage.reminders.watch`: ``reminder_watch``, one row per open stage visit and owed
  item with the date from which it may need a message, and ``reminder_meta``, facts kept
  between runs;
* :mod:`storage.reminders.points`: a running stage's point dates, and today's untold
  points counted and listed per staff member;
* :mod:`storage.reminders.sections`: each district's new, due, overdue and paused stages,
  for the escalations and the digest;
* :mod:`storage.reminders.reads`: the records a batch of rows needs, one query per kind.

Words used here (the sweeps' package, :mod:`notifications.reminders`, says more):

watch row
    A ``reminder_watch`` row: derived, never the source of truth. Triggers set it back to
    "look now" when its stage, pauses, owed item or application change.
point dates
    ``half_on``, ``before_on``, ``deadline_on``: the working days a running stage reaches
    each point (:func:`process.deadlines.point_dates`); ``0001-01-01`` for a point already
    behind it. Compared with the last working day through today, they give the point
    (:func:`storage.reminders.points.point_at`, the SQL mirror of
    :func:`process.deadlines.stage_point`).
day pass
    The first run of a working day, which tells every row dated before it; only its day is
    stored (``reminder_meta.stage_day``), so what a row was told is its point on that day.
told mark
    The point told, with its threshold (``half:5``, ``overdue:2026-12-03``), kept in
    ``reminded`` for the rows a run other than the day pass told.
holding
    Whom a stage row's reminders go to and in which district (customer and project
    manager), as of the last look.
"""
