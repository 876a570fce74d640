"""``GET /v1/events``: the event feed, how another system keeps itself in step.

The feed is the append-only ``events`` table in id order (storage/api_reads.py says why
that order loses and repeats nothing). A client keeps the ``next_cursor`` of the last page
it handled and asks again from there; with ``wait`` the call holds until an event is
appended (or that many seconds pass), so a client stays current without hammering.

An event carries the application's number, its kind, its time, the role of who acted and
its data, less anything personal: never the note staff typed, nor who the actor is by
Telegram id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.cursor import decode_cursor, encode_cursor
from api.deps import ApiDeps
from api.problems import Kind, documented
from api.scopes import Scope
from api.turns import aside
from storage.api_reads import events_after
from storage.models import Event

# Keys of an event's data that may name or reach a person; the rest are ids, kinds, counts.
PERSONAL_KEYS = frozenset({"name", "customer", "comment", "text", "phone", "note"})


class EventOut(BaseModel):
    id: int
    application: str = Field(description="the application's number")
    kind: str
    at: datetime
    actor_role: str
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str = Field(description="pass as `after` for the events that follow")


def event_out(event: Event, number: str) -> EventOut:
    data = {k: v for k, v in (event.data or {}).items() if k not in PERSONAL_KEYS}
    return EventOut(
        id=event.id,
        application=number,
        kind=event.kind,
        at=event.created_at,
        actor_role=event.actor_role,
        data=data,
    )


def router(deps: ApiDeps) -> APIRouter:
    routes = APIRouter(tags=["events"])
    reader = Depends(deps.gate.require(Scope.EVENTS_READ))
    errors = documented(Kind.BAD_REQUEST, Kind.UNAUTHORIZED, Kind.FORBIDDEN, Kind.INVALID)
    errors |= documented(Kind.RATE_LIMITED)

    @routes.get("/events", responses=errors, dependencies=[reader], summary="The event feed")
    async def list_events(
        request: Request,
        after: Annotated[
            str | None, Query(max_length=200, description="a `next_cursor`; none: the start")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        wait: Annotated[
            int,
            Query(ge=0, le=30, description="seconds to hold the call while no event follows"),
        ] = 0,
    ) -> EventPage:
        last = decode_cursor(after, "after")
        found = await events_after(deps.ctx.db, last, limit)
        if not found and wait:
            async with aside(request):  # other calls go on while this one waits
                await deps.watch.wait_past(last, wait)
            found = await events_after(deps.ctx.db, last, limit)
        return EventPage(
            items=[event_out(f.event, f.number) for f in found],
            next_cursor=encode_cursor(found[-1].event.id if found else last),
        )

    return routes
