"""Taking in an application on a customer's behalf: a 95598 operator or the service hall
types it in (through the integration API) for a customer who is not in Telegram yet.

The same form as the chat's (:mod:`process.form`): every field is checked by the validator
the chat uses for it, and every bad value is refused with the field's name and the
validator's code, all of them at once so that an operator corrects the whole form in one go.

Documents. The request carries none, so the commitment rule (告知承诺) covers them all:
every document of the form, the essential ones included, is owed by the customer, who sends
them in the chat once they have claimed the application (the owed flow, :mod:`services.owed`,
offers each one on the card and the reminders name them). The operator has seen the papers
at the counter or will have them sent; the application is not held back for them, as in the
chat, where a promised document does not stop the clock either.

The customer. Until someone claims it, the application's customer is a placeholder user
(:mod:`storage.intake`): nothing is ever sent to it, and reminders skip it. The one-time
claim code made here (only its hash is kept, see :mod:`services.claims`) hands the
application over to the Telegram user who opens the link.

Filing. The placeholder gets a draft holding the promises, and the draft is filed, assigned
and announced to staff exactly as a chat submission is (:mod:`services.submission`), all in
one transaction with the claim code and the idempotency record. The same idempotency key
from the same client answers with the first result; the same key with another body is
refused, and nothing is filed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta

import aiosqlite

from process.form import DOCUMENTS, FIELDS, FieldKind, FormField, submission_gap
from process.validators import CHOICE_INVALID, ValidationError, parse_date
from services.claims import code_hash
from services.context import ServiceContext
from services.submission import file_answers
from storage.applications import application_in
from storage.events import append_event
from storage.intake import (
    IntakeRecord,
    add_claim_code,
    add_placeholder_customer,
    claim_code_of,
    intake_in,
    record_intake,
    start_promised_draft,
)
from storage.models import Application
from storage.staff.members import member_in

TAKEN_IN_EVENT = "taken_in"
# Letters, digits, "_" and "-": what a Telegram /start payload may hold (64 at most).
CLAIM_CODE_BYTES = 16  # 22 characters, 128 random bits


@dataclass(frozen=True)
class IntakeForm:
    """The chat form's answers, as typed by the operator. Texts are checked and normalised
    as the chat does (full-width digits, spaces, a credit code's check character); choices
    are the values the form offers (``process.form.FIELDS``), the district one of the
    configured districts; ``important_load`` is "yes" or "no"; ``wanted_date`` a date in
    any way the chat accepts one (``2027-03-31``, ``2027年3月31日`` …)."""

    applicant_name: str
    uscc: str
    project_name: str
    site_address: str
    district: str
    usage_category: str
    voltage_kv: str
    capacity_kva: str
    supply_mode: str
    important_load: str
    grid_works: str
    wanted_date: str
    contact_name: str
    contact_mobile: str


@dataclass(frozen=True)
class Intake:
    """Who asks (the API client's name), under which idempotency key, and the form."""

    client: str
    idempotency_key: str
    form: IntakeForm
    now: datetime


@dataclass(frozen=True)
class FieldError:
    """One bad value: the field, the validator's code (:mod:`process.validators`, e.g.
    ``uscc.check``, ``choice.invalid``) and the parameters its message takes."""

    field: str
    code: str
    params: Mapping[str, object] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Nothing filed: the form has bad values (every one of them, in the form's order)."""

    errors: tuple[FieldError, ...]


@dataclass(frozen=True)
class KeyReused:
    """Nothing filed: this client used this idempotency key for another form before."""

    number: str  # the application the key filed


@dataclass(frozen=True)
class Filed:
    """The application filed (or, ``repeated``, filed by the first request with this key).

    ``claim_code`` goes into the customer's link (``https://t.me/<bot>?start=<code>``); it
    works once, until ``claim_expires_at``."""

    application: Application
    claim_code: str
    claim_expires_at: datetime
    manager_name: str | None
    repeated: bool = False


IntakeOutcome = Filed | Invalid | KeyReused


async def take_in(ctx: ServiceContext, intake: Intake) -> IntakeOutcome:
    """File ``intake.form`` for a customer not in Telegram yet, in one transaction."""
    fingerprint = _fingerprint(intake.form)
    today = intake.now.astimezone(ctx.tz).date()
    answers, errors = check_form(intake.form, districts=ctx.districts, today=today)
    async with ctx.db.transaction() as conn:
        earlier = await intake_in(conn, intake.client, intake.idempotency_key)
        if earlier is not None:
            return await _answered_before(ctx, conn, earlier.application_id, intake, earlier)
        if errors:
            return Invalid(errors)
        promised = frozenset(spec.kind for spec in DOCUMENTS)
        gap = submission_gap(answers, frozenset(), promised, today)
        assert gap is None  # every answer checked above, every document promised
        customer = await add_placeholder_customer(
            conn, locale=ctx.texts.default_locale, now=intake.now
        )
        await start_promised_draft(conn, customer.user_id, promised, intake.now)
        filed = await file_answers(
            ctx, conn, customer_id=customer.user_id, answers=answers, now=intake.now
        )
        code = secrets.token_urlsafe(CLAIM_CODE_BYTES)
        expires_at = intake.now + timedelta(days=ctx.claim_days)
        await add_claim_code(
            conn,
            application_id=filed.application.id,
            code_hash=code_hash(code),
            now=intake.now,
            expires_at=expires_at,
        )
        await record_intake(
            conn,
            client=intake.client,
            key=intake.idempotency_key,
            request_hash=fingerprint,
            application_id=filed.application.id,
            claim_code=code,
            now=intake.now,
        )
        await append_event(
            conn,
            application_id=filed.application.id,
            actor_id=None,
            actor_role="client",
            kind=TAKEN_IN_EVENT,
            now=intake.now,
            data={"client": intake.client, "owed": sorted(promised)},
        )
    ctx.outbox.wake()
    return Filed(filed.application, code, expires_at, filed.manager_name)


async def _answered_before(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    application_id: int,
    intake: Intake,
    earlier: IntakeRecord,
) -> Filed | KeyReused:
    application = await application_in(conn, application_id)
    assert application is not None  # recorded with it
    if earlier.request_hash != _fingerprint(intake.form):
        return KeyReused(application.number)
    manager = await member_in(conn, application.customer_manager_id)
    code = await claim_code_of(conn, application.id)
    assert code is not None  # made with the application
    return Filed(
        application,
        earlier.claim_code,
        code.expires_at,
        manager.name if manager else None,
        repeated=True,
    )


def check_form(
    form: IntakeForm, *, districts: tuple[str, ...], today: date
) -> tuple[dict[str, str], tuple[FieldError, ...]]:
    """The form's answers as the chat's draft stores them, and every bad value.

    Each field goes through the chat's own check for it: the validator of a typed field,
    the list of choices of a button's, the date parser of the wanted date."""
    raw = asdict(form)
    answers: dict[str, str] = {}
    errors: list[FieldError] = []
    for spec in FIELDS:
        try:
            answers[spec.name] = _checked(spec, str(raw[spec.name]), districts, today)
        except ValidationError as error:
            errors.append(FieldError(spec.name, error.code, dict(error.params)))
    return answers, tuple(errors)


def _checked(spec: FormField, value: str, districts: tuple[str, ...], today: date) -> str:
    if spec.kind is FieldKind.CHOICE:
        choices = districts if spec.name == "district" else spec.choices
        if value not in choices:
            raise ValidationError(CHOICE_INVALID, choices=list(choices))
        return value
    if spec.kind is FieldKind.DATE:
        return parse_date(value, today=today).isoformat()
    assert spec.parse is not None
    return str(spec.parse(value))


def _fingerprint(form: IntakeForm) -> str:
    """What tells a repeat of a request from another request under the same key."""
    return hashlib.sha256(
        json.dumps(asdict(form), sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
