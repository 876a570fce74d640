"""The scheduler's sweeps: reminders and escalations to staff, follow-ups to customers.

How a reminder to staff is decided and sent, file by file, top to bottom:

1. :mod:`notifications.reminders.staff`: the ``stage`` sweep, run every minute by
   :mod:`notifications.reminders.scheduler` (the list of sweeps is :mod:`bot.sweeps`). It
   looks at the stages that changed and tells the day's points.
2. :mod:`process.deadlines`: the rule. A stage's clock (working days used, due date,
   overdue), the point it has reached (:func:`~process.deadlines.stage_point`) and the
   dates it reaches each point (:func:`~process.deadlines.point_dates`).
3. :mod:`storage.reminders.watch`: the ``reminder_watch`` rows that say which stages
   changed since the sweep last looked.
4. :mod:`storage.reminders.points`: the dates stored on those rows, and the SQL that tells
   from them, set-wise, which points are reached today and not yet told (a mirror of the
   rule, checked against it by a property test).
5. :mod:`storage.reminders.reads`: the records a batch of rows needs, a query per kind.
6. :mod:`notifications.reminders.stage_tell`: who hears of each point and the message each
   staff member gets, one per run.
7. :mod:`notifications.outbox`: the message rendered and queued, once-only by its key.
8. :mod:`notifications.sender`: the queued message delivered to Telegram.

Words used across these modules:

sweep
    An async function of "now" that queues what is due and returns how many messages it
    queued. Every sweep takes the one :class:`~notifications.reminders.context.SweepContext`.
look
    Counting a stage's clock afresh (because it is new, paused, resumed, changed hands or
    the calendar changed) and storing the result on its watch row.
point
    Where a running stage stands against its limit: ``half`` (half the working days
    used), ``day_before`` (one left), ``due`` (the deadline is today), ``overdue`` (a
    working day after the deadline has begun). Staff are told each point once, overdue
    every working day.
dated
    A watch row whose point dates were stored; until its stage changes, the dates alone
    say its point on any day.
day pass
    The first run of a working day: it tells every dated row its point for the day in a
    few set-wise statements, and records only the day it ran.
told mark
    The point told, with what distinguishes one telling of it from another: ``half:5``,
    ``due:10``, ``overdue:2026-12-03``. It names the reminder's outbox key; it is kept on a
    row only when a run other than the day pass told it.
holder
    The staff member a stage's reminders go to: its customer manager, its project manager
    too in the stages where they act, the district's overseers while nobody holds it.
escalation
    Once a working day, one message per supervisor (or admin) listing the overdue
    applications of their districts.
digest
    The supervisors' morning summary of their district.
"""
