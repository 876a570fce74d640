"""What the statistics are computed from: a period's applications, their stage visits with
pauses, their surveys and history, read in one snapshot so the figures agree with each other.

Applications are read through the repositories' row mappers, so whatever the storage layer
does to a column at rest, the figures see the plain values. The formulas themselves live in
:mod:`process.metrics`; this module only turns rows into the facts they take.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from process.deadlines import Pause
from process.metrics import ApplicationFacts, SurveyFacts, VisitFacts
from storage.codec import time_to_db
from storage.db import Database, fetch_all
from storage.models import Application, Event, PauseRow, StageVisit
from storage.rows import (
    APPLICATION_COLUMNS,
    EVENT_COLUMNS,
    PAUSE_COLUMNS,
    STAGE_VISIT_COLUMNS,
    application_from_row,
    event_from_row,
    pause_from_row,
    stage_visit_from_row,
)
from storage.staff.models import STAFF_COLUMNS, staff_from_row
from storage.survey import SurveyResponse, surveys_between

_IN_PERIOD = "SELECT id FROM applications WHERE submitted_at >= ? AND submitted_at < ?"
APPLICATIONS_SQL = (
    f"SELECT {APPLICATION_COLUMNS} FROM applications "
    "WHERE submitted_at >= ? AND submitted_at < ? ORDER BY submitted_at, id"
)
VISITS_SQL = (
    f"SELECT {STAGE_VISIT_COLUMNS} FROM stage_visits "
    f"WHERE application_id IN ({_IN_PERIOD}) ORDER BY application_id, id"
)
PAUSES_SQL = (
    f"SELECT {PAUSE_COLUMNS} FROM clock_pauses WHERE stage_visit_id IN ("
    f"SELECT id FROM stage_visits WHERE application_id IN ({_IN_PERIOD})) ORDER BY id"
)
EVENTS_SQL = (
    f"SELECT {EVENT_COLUMNS} FROM events "
    f"WHERE application_id IN ({_IN_PERIOD}) ORDER BY application_id, id"
)


@dataclass(frozen=True)
class PeriodData:
    """Everything about the applications submitted in one period."""

    applications: list[Application]
    visits: dict[int, list[StageVisit]]
    surveys: list[SurveyResponse]
    staff_names: dict[int, str]

    def only(self, district: str | None) -> PeriodData:
        """The part of the data about one district (all of it for None)."""
        if district is None:
            return self
        kept = [a for a in self.applications if a.district == district]
        ids = {a.id for a in kept}
        return PeriodData(
            applications=kept,
            visits={i: v for i, v in self.visits.items() if i in ids},
            surveys=[s for s in self.surveys if s.application_id in ids],
            staff_names=self.staff_names,
        )

    def application_facts(self) -> list[ApplicationFacts]:
        return [application_facts(a, self.visits.get(a.id, [])) for a in self.applications]

    def survey_facts(self) -> list[SurveyFacts]:
        return [survey_facts(s) for s in self.surveys]


def application_facts(application: Application, visits: list[StageVisit]) -> ApplicationFacts:
    return ApplicationFacts(
        id=application.id,
        number=application.number,
        district=application.district,
        customer_manager_id=application.customer_manager_id,
        supply_mode=application.supply_mode,
        submitted_at=application.submitted_at,
        status=application.status,
        visits=tuple(
            VisitFacts(
                stage=v.stage,
                limit_days=v.limit_days,
                started_at=v.started_at,
                ended_at=v.ended_at,
                pauses=tuple(Pause(p.started_at, p.ended_at) for p in v.pauses),
            )
            for v in visits
        ),
    )


def survey_facts(response: SurveyResponse) -> SurveyFacts:
    return SurveyFacts(
        application_id=response.application_id,
        invited_at=response.invited_at,
        submitted_at=response.submitted_at,
        overall=response.overall,
        speed=response.speed,
        service=response.service,
        informed=response.informed,
        recommend=response.recommend,
    )


class StatsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def period(self, start: datetime, end: datetime) -> PeriodData:
        """The applications submitted in ``[start, end)`` and all that the figures need."""
        bounds = (time_to_db(start), time_to_db(end))
        async with self._db.snapshot() as conn:
            applications = [
                application_from_row(r) for r in await fetch_all(conn, APPLICATIONS_SQL, bounds)
            ]
            visits = await _visits(conn, bounds)
            surveys = await surveys_between(conn, start, end)
            names = {
                member.user_id: member.name
                for member in map(
                    staff_from_row, await fetch_all(conn, f"SELECT {STAFF_COLUMNS} FROM staff")
                )
            }
        return PeriodData(applications, visits, surveys, names)

    async def events(self, start: datetime, end: datetime) -> list[Event]:
        """The history of the applications submitted in ``[start, end)``."""
        rows = await self._db.fetchall(EVENTS_SQL, (time_to_db(start), time_to_db(end)))
        return [event_from_row(row) for row in rows]


async def _visits(
    conn: aiosqlite.Connection, bounds: tuple[str, str]
) -> dict[int, list[StageVisit]]:
    pauses: defaultdict[int, list[PauseRow]] = defaultdict(list)
    for row in await fetch_all(conn, PAUSES_SQL, bounds):
        pauses[row["stage_visit_id"]].append(pause_from_row(row))
    visits: defaultdict[int, list[StageVisit]] = defaultdict(list)
    for row in await fetch_all(conn, VISITS_SQL, bounds):
        visits[row["application_id"]].append(stage_visit_from_row(row, pauses[row["id"]]))
    return dict(visits)
