"""``GET /v1/applications`` and ``GET /v1/applications/{number}``: the list and the card.

Clients see every application (no district reach, unlike staff); personal data is masked
unless the client holds ``pii:read`` (:mod:`api.masking`). The writes (creating an
application on a customer's behalf, recording a stage action) are routes of their own that
call their services, each behind ``Scope.APPLICATIONS_WRITE``; a stale version is
``Kind.CONFLICT`` (409).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from api.auth import Caller
from api.cursor import SQLITE_MAX, decode_cursor, encode_cursor
from api.deps import ApiDeps
from api.events import EventOut, event_out
from api.masking import mask_code, mask_name, mask_phone, mask_text
from api.params import MOMENT, moment
from api.problems import Kind, ProblemError, documented
from api.scopes import Scope
from process.deadlines import Pause, stage_clock, used_working_days
from process.stages import Stage
from storage.api_reads import ApplicationFilter, Card, application_card, application_page
from storage.models import Application, StageVisit
from storage.sealing.personal import is_personal_applicant

NUMBER_PATTERN = r"^[A-Za-z0-9-]{1,40}$"
Status = Literal["active", "done", "withdrawn"]


class ApplicationOut(BaseModel):
    number: str
    status: str
    stage: str
    step: str
    version: int = Field(description="bumped by every change; a write names the one it read")
    district: str
    applicant_name: str
    uscc: str = Field(description="the unified social credit code; masked without pii:read")
    project_name: str
    site_address: str
    usage_category: str
    voltage_kv: int
    capacity_kva: int
    supply_mode: str
    important_load: bool
    grid_works: str
    wanted_date: date
    contact_name: str
    contact_mobile: str
    customer_manager_id: int | None
    project_manager_id: int | None
    submitted_at: datetime
    updated_at: datetime
    energize_date: date | None


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str = Field(
        description="pass as `cursor` for the next page; after the last page, it is where "
        "to resume later to see only applications filed since"
    )
    has_more: bool = Field(description="whether more applications follow now")


class StageClockOut(BaseModel):
    limit_days: int
    used_working_days: int
    due: date | None = Field(description="null while the clock is paused: the deadline moves")
    remaining_days: int
    paused: bool
    provisional: bool = Field(
        description="the deadline lies past the official holiday calendar and may move"
    )
    overdue: bool
    days_over: int


class StageVisitOut(BaseModel):
    stage: str
    started_at: datetime
    ended_at: datetime | None
    limit_days: int
    used_working_days: int
    clock: StageClockOut | None = Field(description="the open stage's clock, now")


class PlanDueOut(BaseModel):
    date: date
    provisional: bool


class OwedOut(BaseModel):
    kind: str
    detail: str | None = Field(description="what staff wrote is missing; only with pii:read")
    created_at: datetime
    resolved_at: datetime | None


class DocumentOut(BaseModel):
    id: int
    kind: str
    mime_type: str | None
    file_size: int | None
    file_name: str | None = Field(description="often names a person; only with pii:read")
    uploaded_at: datetime


class HolderOut(BaseModel):
    user_id: int
    name: str | None
    role: str


class CardOut(BaseModel):
    application: ApplicationOut
    stages: list[StageVisitOut]
    plan_due: PlanDueOut | None
    owed: list[OwedOut]
    documents: list[DocumentOut]
    holders: list[HolderOut]
    history: list[EventOut]


def application_out(a: Application, caller: Caller) -> ApplicationOut:
    clear = caller.sees_personal_data
    person = is_personal_applicant(a.uscc, a.usage_category)
    return ApplicationOut(
        number=a.number,
        status=a.status,
        stage=a.stage,
        step=a.step,
        version=a.version,
        district=a.district,
        applicant_name=a.applicant_name if clear or not person else mask_name(a.applicant_name),
        uscc=a.uscc if clear else mask_code(a.uscc),
        project_name=a.project_name,
        site_address=a.site_address if clear or not person else mask_text(a.site_address),
        usage_category=a.usage_category,
        voltage_kv=a.voltage_kv,
        capacity_kva=a.capacity_kva,
        supply_mode=a.supply_mode,
        important_load=a.important_load,
        grid_works=a.grid_works,
        wanted_date=a.wanted_date,
        contact_name=a.contact_name if clear else mask_name(a.contact_name),
        contact_mobile=a.contact_mobile if clear else mask_phone(a.contact_mobile),
        customer_manager_id=a.customer_manager_id,
        project_manager_id=a.project_manager_id,
        submitted_at=a.submitted_at,
        updated_at=a.updated_at,
        energize_date=a.energize_date,
    )


def _visit_out(deps: ApiDeps, visit: StageVisit, now: datetime) -> StageVisitOut:
    ctx = deps.ctx
    pauses = [Pause(p.started_at, p.ended_at) for p in visit.pauses]
    until = visit.ended_at or now
    used = used_working_days(ctx.calendar, visit.started_at, until, pauses, ctx.tz)
    clock = None
    if visit.ended_at is None:
        c = stage_clock(ctx.calendar, visit.started_at, visit.limit_days, pauses, now, ctx.tz)
        clock = StageClockOut(
            limit_days=c.limit_days,
            used_working_days=c.used_days,
            due=c.due,
            remaining_days=c.remaining_days,
            paused=c.paused,
            provisional=c.provisional,
            overdue=c.overdue,
            days_over=c.days_over,
        )
    return StageVisitOut(
        stage=visit.stage,
        started_at=visit.started_at,
        ended_at=visit.ended_at,
        limit_days=visit.limit_days,
        used_working_days=used,
        clock=clock,
    )


def card_out(deps: ApiDeps, card: Card, caller: Caller, now: datetime) -> CardOut:
    a = card.application
    clear = caller.sees_personal_data
    return CardOut(
        application=application_out(a, caller),
        stages=[_visit_out(deps, v, now) for v in card.visits],
        plan_due=(
            None
            if a.plan_due_date is None
            else PlanDueOut(date=a.plan_due_date, provisional=a.plan_due_provisional)
        ),
        owed=[
            OwedOut(
                kind=o.kind,
                detail=o.detail if clear else None,
                created_at=o.created_at,
                resolved_at=o.resolved_at,
            )
            for o in card.owed
        ],
        documents=[
            DocumentOut(
                id=d.id,
                kind=d.kind,
                mime_type=d.mime_type,
                file_size=d.file_size,
                file_name=d.file_name if clear else None,
                uploaded_at=d.uploaded_at,
            )
            for d in card.documents
        ],
        holders=[HolderOut(user_id=h.user_id, name=h.name, role=h.role) for h in card.holders],
        history=[event_out(e, a.number) for e in card.events],
    )


def router(deps: ApiDeps) -> APIRouter:
    routes = APIRouter(tags=["applications"])
    reader = Depends(deps.gate.require(Scope.APPLICATIONS_READ))
    errors = documented(Kind.BAD_REQUEST, Kind.UNAUTHORIZED, Kind.FORBIDDEN, Kind.INVALID)
    errors |= documented(Kind.RATE_LIMITED)

    @routes.get("/applications", responses=errors, summary="Applications, a page at a time")
    async def list_applications(
        status: Annotated[Status | None, Query()] = None,
        stage: Annotated[Stage | None, Query()] = None,
        district: Annotated[str | None, Query(max_length=30)] = None,
        holder: Annotated[
            int | None, Query(ge=1, le=SQLITE_MAX, description="a staff member's user id")
        ] = None,
        updated_since: Annotated[str | None, Query(max_length=40, json_schema_extra=MOMENT)] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        caller: Caller = reader,
    ) -> ApplicationPage:
        """Ordered by a fixed key that only grows: a client that follows ``next_cursor``
        reads every application once, whatever is written meanwhile."""
        since = moment(updated_since, "updated_since")
        after = decode_cursor(cursor)
        where = ApplicationFilter(status, stage, district, holder, since)
        found = await application_page(deps.ctx.db, where, after, limit + 1)
        page, more = found[:limit], len(found) > limit
        return ApplicationPage(
            items=[application_out(a, caller) for a in page],
            next_cursor=encode_cursor(page[-1].id if page else after),
            has_more=more,
        )

    @routes.get(
        "/applications/{number}",
        responses=errors | documented(Kind.NOT_FOUND),
        summary="One application's card",
    )
    async def get_application(
        request: Request,
        number: Annotated[str, Path(pattern=NUMBER_PATTERN)],
        caller: Caller = reader,
    ) -> CardOut:
        card = await application_card(deps.ctx.db, number.strip().upper())
        if card is None:
            raise ProblemError(Kind.NOT_FOUND, f"no application {number}", field="number")
        request.state.application_id = card.application.id
        return card_out(deps, card, caller, deps.clock.now())

    return routes
