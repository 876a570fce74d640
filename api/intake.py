"""``POST /v1/applications``: an application typed in for a customer not in Telegram yet (a
95598 operator, the service hall), filed by :func:`services.intake.take_in`.

The body is the chat form's answers, each checked by the chat's own validator; every bad
value is answered at once (422, ``errors`` lists field and code). The answer holds the
application's number and a one-time claim link, ``https://t.me/<bot>?start=<code>``, for
the customer: whoever opens it first (before ``claim_expires_at``) becomes the customer.

Idempotency. ``Idempotency-Key`` is required (1 to 200 characters, 400 otherwise): a
client that did not hear the answer sends the same request again with the same key and
gets the same body, with 200 rather than 201 so that it can tell nothing new was filed;
the same key with another body is refused (409, ``idempotency-key-reused``, naming the
application the key filed). Keys are the client's own: two clients never collide.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller
from api.deps import ApiDeps
from api.problems import Extra, FieldProblem, Kind, ProblemError, documented, plain
from api.scopes import Scope
from process.form import FIELDS_BY_NAME
from services.intake import Filed, Intake, IntakeForm, Invalid, KeyReused, take_in

MAX_KEY = 200
MAX_TEXT = 500


# A number or its text: a client's JSON may hold either.
TextOrNumber = Annotated[str, Field(max_length=MAX_TEXT)] | Annotated[int, Field(ge=0, le=10**9)]


def _text(description: str, example: str, *, limited: bool = True) -> Any:
    if not limited:  # the type carries the limits
        return Field(description=description, examples=[example])
    return Field(max_length=MAX_TEXT, description=description, examples=[example])


def _choice(name: str, description: str, *, limited: bool = True) -> Any:
    choices = FIELDS_BY_NAME[name].choices
    listed = ", ".join(f"`{c}`" for c in choices)
    return _text(f"{description}: one of {listed}", str(choices[0]), limited=limited)


class IntakeIn(BaseModel):
    """The chat form's answers (:class:`services.intake.IntakeForm`), as the operator typed
    them: texts are normalised as the chat does (full-width digits, spaces)."""

    model_config = ConfigDict(extra="forbid")

    applicant_name: str = _text(
        "the applicant: a company's or a person's name", "汉中市某某科技有限公司"
    )
    uscc: str = _text(
        "the unified social credit code (18 characters, checked)", "91310000MA1K123456"
    )
    project_name: str = _text("the project's name", "汉中市某某厂区新建10kV配电工程")
    site_address: str = _text("where the connection is wanted", "汉中市汉台区天汉大道 88 号")
    district: str = _text("one of the districts the deployment serves", "汉台区")
    usage_category: str = _choice("usage_category", "what the power is for")
    voltage_kv: TextOrNumber = _choice("voltage_kv", "the supply voltage in kV", limited=False)
    capacity_kva: TextOrNumber = _text("the capacity applied for, in kVA", "1250", limited=False)
    supply_mode: str = _choice("supply_mode", "single or dual supply")
    important_load: str = _choice("important_load", "whether the load is an important one")
    grid_works: str = _choice("grid_works", "who builds the works on the grid side")
    wanted_date: str = _text("when power is wanted, e.g. 2027-03-31", "2027-03-31")
    contact_name: str = _text("the customer's contact person", "王工")
    contact_mobile: str = _text("the contact's mobile number", "13800138000")

    def form(self) -> IntakeForm:
        answers = self.model_dump()
        return IntakeForm(**{name: str(value) for name, value in answers.items()})


class CreatedOut(BaseModel):
    number: str
    status: str
    stage: str
    step: str
    version: int = Field(description="name it in the application's actions")
    claim_link: str = Field(
        description="give it to the customer: opening it in Telegram makes the application "
        "theirs; it works once"
    )
    claim_expires_at: datetime
    customer_manager: str | None = Field(description="the customer manager assigned, if any")


def router(deps: ApiDeps) -> APIRouter:
    routes = APIRouter(tags=["applications"])
    writer = Depends(deps.gate.require(Scope.APPLICATIONS_WRITE))
    errors = documented(Kind.BAD_REQUEST, Kind.UNAUTHORIZED, Kind.FORBIDDEN, Kind.INVALID)
    errors |= documented(Kind.KEY_REUSED, Kind.RATE_LIMITED, Kind.UNAVAILABLE)
    errors |= {
        200: {
            "model": CreatedOut,
            "description": "a repeat of a request already answered (same key, same body): "
            "the first answer again",
        },
        201: {"description": "filed"},
    }

    @routes.post(
        "/applications",
        status_code=201,
        responses=errors,
        summary="File an application for a customer; answers with its claim link",
    )
    async def create_application(
        body: IntakeIn,
        request: Request,
        response: Response,
        idempotency_key: Annotated[
            str,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=MAX_KEY,
                description="the client's own name for this request: the same key again "
                "answers with the first result",
            ),
        ],
        caller: Caller = writer,
    ) -> CreatedOut:
        key = idempotency_key.strip()
        if not key:
            raise ProblemError(
                Kind.BAD_REQUEST, "Idempotency-Key is blank", field="Idempotency-Key"
            )
        bot = deps.bot_username()
        if bot is None:
            raise ProblemError(
                Kind.UNAVAILABLE, "the bot is starting", headers={"Retry-After": "1"}
            )
        outcome = await take_in(
            deps.ctx, Intake(caller.client.name, key, body.form(), deps.clock.now())
        )
        if isinstance(outcome, Invalid):
            listed = tuple(
                FieldProblem(field=e.field, code=e.code, params=plain(e.params))
                for e in outcome.errors
            )
            names = ", ".join(e.field for e in outcome.errors)
            raise ProblemError(
                Kind.INVALID,
                f"bad values: {names}",
                field=outcome.errors[0].field,
                extra=Extra(errors=listed),
            )
        if isinstance(outcome, KeyReused):
            raise ProblemError(
                Kind.KEY_REUSED,
                f"this Idempotency-Key filed {outcome.number} for another body",
                field="Idempotency-Key",
                extra=Extra(number=outcome.number),
            )
        return _created(outcome, bot, request, response)

    return routes


def _created(filed: Filed, bot: str, request: Request, response: Response) -> CreatedOut:
    application = filed.application
    request.state.application_id = application.id  # for the audit line
    if filed.repeated:
        response.status_code = 200
    return CreatedOut(
        number=application.number,
        status=application.status,
        stage=application.stage,
        step=application.step,
        version=application.version,
        claim_link=f"https://t.me/{bot}?start={filed.claim_code}",
        claim_expires_at=filed.claim_expires_at.astimezone(UTC),
        customer_manager=filed.manager_name,
    )
