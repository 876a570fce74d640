"""``POST /v1/applications/{number}/actions``: a stage action done in another system,
recorded by :func:`services.external_actions.record` exactly as the button would record it
(the customer and staff are told through the outbox).

The body names the application's ``version`` as the client last read it; a write on a
version the application has moved past changes nothing (409 ``conflict`` with
``current_version``: read the card again and decide).

Refusals, a stable mapping (``reason`` carries the service's code):

============================  ======  ===================
reason                        status  type
============================  ======  ===================
(stale version)               409     ``conflict``
``not_found``                 404     ``not-found``
``unknown_action``            422     ``invalid`` (field ``action``)
``invalid_input``             422     ``invalid`` (the field at fault, its code)
``not_recordable``            403     ``action-refused``
``no_holder``                 403     ``action-refused``
``not_yours``                 403     ``action-refused``
``wrong_step``                409     ``wrong-step``
``finished``                  409     ``wrong-step``
============================  ======  ===================

403: whatever the application's state, the API cannot act for anyone here (files needed,
nobody holds the application, the holder cannot act on it). 409: the action would be fine
at another point of the application's life; re-read it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.applications import NUMBER_PATTERN
from api.auth import Caller
from api.cursor import SQLITE_MAX
from api.deps import ApiDeps
from api.problems import Extra, FieldProblem, Kind, ProblemError, documented, plain
from api.scopes import Scope
from services.external_actions import (
    RECORDABLE,
    ActionRefusal,
    ExternalAction,
    Refused,
    Stale,
    record,
)

MAX_NOTE = 2000

REFUSAL_KIND: dict[ActionRefusal, Kind] = {
    ActionRefusal.NOT_FOUND: Kind.NOT_FOUND,
    ActionRefusal.UNKNOWN_ACTION: Kind.INVALID,
    ActionRefusal.INVALID_INPUT: Kind.INVALID,
    ActionRefusal.NOT_RECORDABLE: Kind.ACTION_REFUSED,
    ActionRefusal.NO_HOLDER: Kind.ACTION_REFUSED,
    ActionRefusal.NOT_YOURS: Kind.ACTION_REFUSED,
    ActionRefusal.WRONG_STEP: Kind.WRONG_STEP,
    ActionRefusal.FINISHED: Kind.WRONG_STEP,
}

REFUSAL_DETAIL: dict[ActionRefusal, str] = {
    ActionRefusal.NOT_FOUND: "no such application",
    ActionRefusal.UNKNOWN_ACTION: "no action of that name",
    ActionRefusal.INVALID_INPUT: "a value the action needs is not valid",
    ActionRefusal.NOT_RECORDABLE: "this action carries files: it is done in the chat only",
    ActionRefusal.NO_HOLDER: "nobody holds the application yet, so nobody's action it can be",
    ActionRefusal.NOT_YOURS: "the application's holder cannot take this action on it",
    ActionRefusal.WRONG_STEP: "not an action of the application's current step",
    ActionRefusal.FINISHED: "the application is finished",
}


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        max_length=60,
        description="the action's name: one of " + ", ".join(f"`{a}`" for a in sorted(RECORDABLE)),
        examples=[sorted(RECORDABLE)[0]],
    )
    version: int = Field(ge=0, le=SQLITE_MAX, description="the application's version as last read")
    note: str | None = Field(
        default=None,
        max_length=MAX_NOTE,
        description="a note (a return, a failed inspection), or the hazard and risk points",
    )
    slots: list[AwareDatetime] = Field(
        default_factory=list, max_length=10, description="two or three survey times offered"
    )
    slot_id: int | None = Field(
        default=None, ge=1, le=SQLITE_MAX, description="the survey time the customer picked"
    )
    day: date | None = Field(
        default=None, description="the energization day (scheduled, or today's when it came on)"
    )


class ActionDoneOut(BaseModel):
    number: str
    action: str
    status: str
    stage: str
    step: str
    version: int = Field(description="the application's version now: name it in the next write")


def router(deps: ApiDeps) -> APIRouter:
    routes = APIRouter(tags=["applications"])
    writer = Depends(deps.gate.require(Scope.APPLICATIONS_WRITE))
    errors = documented(Kind.BAD_REQUEST, Kind.UNAUTHORIZED, Kind.FORBIDDEN, Kind.INVALID)
    errors |= documented(Kind.NOT_FOUND, Kind.CONFLICT, Kind.RATE_LIMITED)
    # 403 and 409 have two types each; the document names the status once.
    errors[403]["description"] += "; or `action-refused`: nobody's authority can record it"
    errors[409]["description"] += "; or `wrong-step`: not where the application stands"

    @routes.post(
        "/applications/{number}/actions",
        responses=errors,
        summary="Record a stage action done in another system",
    )
    async def record_action(
        request: Request,
        body: ActionIn,
        number: Annotated[str, Path(pattern=NUMBER_PATTERN)],
        caller: Caller = writer,
    ) -> ActionDoneOut:
        wanted = number.strip().upper()
        outcome = await record(
            deps.ctx,
            ExternalAction(
                client=caller.client.name,
                number=wanted,
                action=body.action,
                version=body.version,
                now=deps.clock.now(),
                note=body.note,
                slots=tuple(body.slots),
                slot_id=body.slot_id,
                day=body.day,
            ),
        )
        if isinstance(outcome, Stale):
            raise ProblemError(
                Kind.CONFLICT,
                f"{wanted} is at version {outcome.current_version}, not {body.version}",
                field="version",
                extra=Extra(current_version=outcome.current_version, number=wanted),
            )
        if isinstance(outcome, Refused):
            raise _refusal(outcome, wanted)
        application = outcome.application
        request.state.application_id = application.id  # for the audit line
        return ActionDoneOut(
            number=application.number,
            action=outcome.action,
            status=application.status,
            stage=application.stage,
            step=application.step,
            version=application.version,
        )

    return routes


def _refusal(refused: Refused, number: str) -> ProblemError:
    reason = refused.reason
    field = refused.field
    if reason is ActionRefusal.UNKNOWN_ACTION or reason is ActionRefusal.NOT_RECORDABLE:
        field = "action"
    elif reason is ActionRefusal.NOT_FOUND:
        field = "number"
    listed = None
    if field is not None and refused.code is not None:
        listed = (FieldProblem(field=field, code=refused.code, params=plain(refused.params)),)
    detail = REFUSAL_DETAIL[reason]
    if refused.code is not None:
        detail = f"{detail}: {field} ({refused.code})"
    return ProblemError(
        REFUSAL_KIND[reason],
        detail,
        field=field,
        extra=Extra(
            errors=listed,
            reason=reason.value,
            number=None if reason is ActionRefusal.NOT_FOUND else number,
        ),
    )
