"""Personal data written through the real repositories, and a scan of the files for it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from process.metrics import Question
from process.workflow import Step
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.models import Application, DocumentInput
from storage.outbox import OutboxRepo
from storage.survey import invite, save_answer, save_submission, survey_of
from storage.threads import add_message
from storage.users import UsersRepo
from storage.workflow import add_document, add_owed, set_pending, transition
from tests.storage.samples import NOW, new_application
from tests.storage_steps import file_draft_in

CUSTOMER = 4242
PHONE = "13912345678"
CONTACT = "欧阳娜娜"
USCC = "91350100M000100Y43"
RELAYED = "请明天上午九点到厂区东门勘察"
CAPTION = "变压器铭牌照片"
# Every value that must never be readable in the database file or its WAL.
PLAIN_VALUES = (PHONE, CONTACT, USCC, RELAYED, CAPTION)

# The personal values sealed since the second round (README "Personal data is encrypted at
# rest"): names of customers' files, their Telegram names, a sole trader's name and site,
# what staff type as a note and what a customer writes in the survey.
DOC_NAME = "钱七七身份证.pdf"
PENDING_DOC_NAME = "钱七七身份证反面.pdf"
FIRST_NAME = "钱七七"
USERNAME = "qianqiqi_hanzhong"
SOLE_TRADER = 5151
SOLE_TRADER_NAME = "汉台区钱七七五金店"
SOLE_TRADER_USCC = "92610702MA6Y8K3P2R"
HOME_ADDRESS = "汉台区北关街12号3单元501室"
NOTE = "缺身份证反面，请钱七七本人回电13811112222"
COMMENT = "装表师傅很专业，有事打我手机13733334444"
PERSONAL_VALUES = (
    DOC_NAME,
    PENDING_DOC_NAME,
    FIRST_NAME,
    USERNAME,
    SOLE_TRADER_NAME,
    SOLE_TRADER_USCC,
    HOME_ADDRESS,
    NOTE,
    COMMENT,
)


async def write_everything(db: Database) -> Application:
    """A customer with a phone, a draft, an application, a relayed message, a captioned
    document and an outbox message carrying the relayed text and the contact's name."""
    users = UsersRepo(db)
    await users.touch(
        user_id=CUSTOMER,
        chat_id=CUSTOMER,
        first_name="Alice",
        username=None,
        default_locale="zh_CN",
        now=NOW,
    )
    await users.set_phone(CUSTOMER, PHONE, verified=True, now=NOW)
    drafts = DraftsRepo(db)
    await drafts.start(CUSTOMER, NOW)
    for name, value in (("contact_name", CONTACT), ("contact_mobile", PHONE), ("uscc", USCC)):
        await drafts.set_field(CUSTOMER, name, value, NOW)
    application = await file_draft_in(
        db,
        customer_id=CUSTOMER,
        year=2026,
        application=new_application(contact_name=CONTACT, contact_mobile=PHONE, uscc=USCC),
        now=NOW,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )
    # A second customer is half-way through the form: a draft that stays a draft.
    await users.touch(
        user_id=CUSTOMER + 1,
        chat_id=CUSTOMER + 1,
        first_name="Bob",
        username=None,
        default_locale="zh_CN",
        now=NOW,
    )
    await drafts.set_field(CUSTOMER + 1, "contact_name", CONTACT, NOW)
    await drafts.set_field(CUSTOMER + 1, "contact_mobile", PHONE, NOW)
    async with db.transaction() as conn:
        await add_message(
            conn,
            application_id=application.id,
            sender_id=CUSTOMER,
            sender_role="customer",
            text=RELAYED,
            file_id=None,
            file_kind=None,
            now=NOW,
        )
        await add_document(
            conn,
            application_id=application.id,
            kind="nameplate",
            file_id="FILE-1",
            file_unique_id="U1",
            file_name="nameplate.jpg",
            mime_type="image/jpeg",
            file_size=1234,
            caption=CAPTION,
            uploaded_by=CUSTOMER,
            now=NOW,
        )
    await OutboxRepo(db).enqueue_now(
        key="relay:1",
        chat_id=CUSTOMER,
        user_id=CUSTOMER,
        kind="relay",
        text=f"<b>{CONTACT}</b>: {RELAYED} ({PHONE}, {USCC})",
        now=NOW,
    )
    return application


async def write_personal_fields(db: Database) -> Application:
    """A sole trader (named after its owner, at their home) with a Telegram name and
    username, an identity card sent as a file, an application returned with a note and a
    survey comment; every value of :data:`PERSONAL_VALUES`, written the way the bot does."""
    users = UsersRepo(db)
    await users.touch(
        user_id=SOLE_TRADER,
        chat_id=SOLE_TRADER,
        first_name=FIRST_NAME,
        username=USERNAME,
        default_locale="zh_CN",
        now=NOW,
    )
    drafts = DraftsRepo(db)
    await drafts.start(SOLE_TRADER, NOW)
    await drafts.add_document(
        SOLE_TRADER,
        DocumentInput(
            kind="licence",
            file_id="FILE-ID-CARD",
            file_unique_id="U-ID-CARD",
            file_name=DOC_NAME,
            mime_type="application/pdf",
            file_size=2048,
        ),
        NOW,
    )
    application = await file_draft_in(
        db,
        customer_id=SOLE_TRADER,
        year=2026,
        application=new_application(
            applicant_name=SOLE_TRADER_NAME, uscc=SOLE_TRADER_USCC, site_address=HOME_ADDRESS
        ),
        now=NOW,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )
    async with db.transaction() as conn:  # "return for missing documents", with its note
        await add_owed(conn, application.id, "supply:missing", NOTE, NOW)
        application = await transition(
            conn,
            application_id=application.id,
            expected_version=application.version,
            action="return_missing",
            target=Step.ACCEPT_MISSING,
            actor_id=2001,
            actor_role="customer_manager",
            now=NOW,
            next_limit_days=1,
            note=NOTE,
        )
    # Supplying what is missing: the files sent so far wait with the action, names included.
    async with db.transaction() as conn:
        await set_pending(
            conn,
            user_id=SOLE_TRADER,
            application_id=application.id,
            action="supply_missing",
            version=application.version,
            now=NOW,
            data={"files": [{"file_id": "FILE-ID-BACK", "file_name": PENDING_DOC_NAME}]},
        )
    async with db.transaction() as conn:
        await invite(
            conn, application_id=application.id, customer_id=SOLE_TRADER, invited_at=NOW, now=NOW
        )
    async with db.transaction() as conn:
        survey = await survey_of(conn, application.id)
        assert survey is not None
        for question, value in (
            (Question.OVERALL, 5),
            (Question.SPEED, 4),
            (Question.SERVICE, 5),
            (Question.INFORMED, 5),
            (Question.RECOMMEND, 9),
        ):
            await save_answer(conn, survey.id, question, value, NOW)
        await save_submission(conn, survey.id, COMMENT, NOW)
    return application


def found_on_disk(db_path: Path, values: tuple[str, ...] = PLAIN_VALUES) -> dict[str, list[str]]:
    """Which of ``values`` appear, as UTF-8 bytes, in the database file and its WAL."""
    found: dict[str, list[str]] = {}
    for suffix in ("", "-wal"):
        path = Path(f"{db_path}{suffix}")
        if not path.exists():
            continue
        data = path.read_bytes()
        hits = [value for value in values if value.encode("utf-8") in data]
        if hits:
            found[path.name] = hits
    return found


def file_sizes(db_path: Path) -> dict[str, int]:
    return {
        suffix or "db": Path(f"{db_path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{db_path}{suffix}").exists()
    }
