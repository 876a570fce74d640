"""An action stored before a kill cut off its reply is answered when it is delivered again.

An update commits before the bot replies. Killed in between, the process leaves the action
stored and the customer unanswered; the redelivery (Telegram's, or long polling's after a
restart) is then answered from what the database holds, once. Killed after the reply and
its mark, the redelivery is silent. Killed after the reply and before its mark, the one
window left, the customer is answered twice.

A kill is played in the process: the update's task is cancelled while it waits on Telegram
for its reply, or between its last handler and the mark, and never resumes; the bot is then
opened again on the same database (on PostgreSQL: another instance, as a fleet's would).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler
from telegram.request import RequestData

from benchmarks.recording import InProcessCustomer
from benchmarks.walk import application_walk
from notifications.buttons import StageActionPress
from process.roles import Role
from process.workflow import Act
from sandbox.recording import RecordingRequest
from storage.db import Database
from storage.staff.members import StaffRepo
from storage.update_handling import WRITE_THROUGH_GROUP
from tests.e2e.customer import ANSWERS
from tests.security.offline import OfflineBot, offline_bot

CUSTOMER = 5_300_001
MANAGER = 5_300_002
USCC_ASKED = "统一社会信用代码"


class CutOff(RecordingRequest):
    """Telegram as a process sees it when it is killed while a reply to ``chat`` is on its
    way: once armed, that chat's next message never leaves (the call never returns; the
    test then ends the update as a kill would)."""

    def __init__(self) -> None:
        super().__init__()
        self.chat: int | None = None
        self.reached = asyncio.Event()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        chat = request_data.parameters.get("chat_id") if request_data is not None else None
        if url.endswith("/sendMessage") and chat is not None and int(chat) == self.chat:
            self.reached.set()
            await asyncio.Event().wait()  # the process is dead: no answer, ever
        return await super().do_request(url, method, request_data, *args, **kwargs)


def _sent(bot: OfflineBot, chat: int = CUSTOMER) -> list[str]:
    return [c.text for c in bot.request.to_chat(chat) if c.method == "sendMessage"]


async def _killed(bot: OfflineBot, update: dict[str, Any], at: asyncio.Event) -> None:
    """Handle ``update`` until ``at`` is set, then end its handling there, as SIGKILL does."""
    handling = asyncio.create_task(bot.feed(dict(update)))
    reached = asyncio.create_task(at.wait())
    await asyncio.wait({handling, reached}, return_when=asyncio.FIRST_COMPLETED)
    assert at.is_set(), "the update was handled to its end: nothing cut it off"
    handling.cancel()
    with suppress(asyncio.CancelledError):
        await handling


def _hold_before_the_mark(bot: OfflineBot, update_id: int) -> asyncio.Event:
    """Stop ``update_id`` after its last handler (its replies sent), before the mark."""
    reached = asyncio.Event()

    async def hold(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.update_id == update_id:
            reached.set()
            await asyncio.Event().wait()

    bot.app.add_handler(TypeHandler(Update, hold), group=WRITE_THROUGH_GROUP - 1)
    return reached


@asynccontextmanager
async def _running(location: str | Path) -> AsyncIterator[tuple[OfflineBot, CutOff]]:
    request = CutOff()
    async with offline_bot(location, request=request) as bot:
        yield bot, request


async def _registered_and_applying(bot: OfflineBot) -> None:
    await bot.feed(bot.message(CUSTOMER, "/start"))
    contact = {"phone_number": "13800138000", "user_id": CUSTOMER, "first_name": "张"}
    await bot.feed(bot.message(CUSTOMER, contact=contact))
    await bot.feed(bot.message(CUSTOMER, "/apply"))


async def _answered_at(db: Database, update_id: int) -> tuple[bool, str | None]:
    """(whether the update is recorded handled, when it was marked answered)."""
    row = await db.fetchone(
        "SELECT answered_at FROM processed_updates WHERE update_id = ?", (update_id,)
    )
    return (False, None) if row is None else (True, row[0])


async def _state(db: Database) -> str | None:
    row = await db.fetchone("SELECT state FROM conversations WHERE name = 'apply'")
    return None if row is None else str(row["state"])


# --- the form ---------------------------------------------------------------------------


async def test_an_answer_stored_before_its_reply_was_cut_off_is_met_with_the_next_question(
    database_location: str | Path,
) -> None:
    update = {"update_id": 940_000_001}
    async with _running(database_location) as (bot, request):
        await _registered_and_applying(bot)
        update.update(bot.message(CUSTOMER, ANSWERS["applicant_name"]))
        request.chat = CUSTOMER
        await _killed(bot, update, request.reached)
        # The answer and its id committed; the reply never left, and nothing says it did.
        assert not any(USCC_ASKED in text for text in _sent(bot))
        assert await _answered_at(bot.svc.db, update["update_id"]) == (True, None)
    async with offline_bot(database_location) as again:
        await again.feed(dict(update))  # Telegram delivers it again: the next question
        assert len(_sent(again)) == 1 and USCC_ASKED in _sent(again)[0], _sent(again)
        handled, answered_at = await _answered_at(again.svc.db, update["update_id"])
        assert handled and answered_at is not None
        await again.feed(dict(update))  # and once only
        assert len(_sent(again)) == 1
        # Not handled twice; the customer's next answer goes to the question asked.
        draft = await again.svc.drafts.get(CUSTOMER)
        assert draft is not None and draft.fields["applicant_name"] == ANSWERS["applicant_name"]
        await again.feed(again.message(CUSTOMER, ANSWERS["uscc"]))
        answers = (await again.svc.drafts.answers(CUSTOMER)) or {}
        assert answers["uscc"] == ANSWERS["uscc"]
        assert await _state(again.svc.db) == "field:project_name"
        assert again.errors == []


async def test_an_answer_whose_reply_left_and_was_marked_is_silent_when_delivered_again(
    database_location: str | Path,
) -> None:
    update = {"update_id": 940_000_002}
    async with offline_bot(database_location) as bot:
        await _registered_and_applying(bot)
        update.update(bot.message(CUSTOMER, ANSWERS["applicant_name"]))
        await bot.feed(dict(update))
        assert USCC_ASKED in _sent(bot)[-1]
        handled, answered_at = await _answered_at(bot.svc.db, update["update_id"])
        assert handled and answered_at is not None
    async with offline_bot(database_location) as again:
        await again.feed(dict(update))  # killed before the webhook's answer: Telegram retries
        assert again.request.to_chat(CUSTOMER) == []


async def test_an_answer_whose_reply_left_but_not_its_mark_is_answered_twice(
    database_location: str | Path,
) -> None:
    """The window that remains: killed after the reply left and before its mark was
    committed, the update looks cut off, and its question is asked a second time."""
    update = {"update_id": 940_000_003}
    async with offline_bot(database_location) as bot:
        await _registered_and_applying(bot)
        update.update(bot.message(CUSTOMER, ANSWERS["applicant_name"]))
        await _killed(bot, update, _hold_before_the_mark(bot, update["update_id"]))
        assert USCC_ASKED in _sent(bot)[-1]  # the reply left
        assert await _answered_at(bot.svc.db, update["update_id"]) == (True, None)
    async with offline_bot(database_location) as again:
        await again.feed(dict(update))
        assert len(_sent(again)) == 1 and USCC_ASKED in _sent(again)[0]
        assert await _state(again.svc.db) == "field:uscc"  # asked twice, stored once


async def test_a_look_at_status_is_recorded_answered_in_its_one_commit(
    database_location: str | Path,
) -> None:
    async with offline_bot(database_location) as bot:
        await _registered_and_applying(bot)
        update = {"update_id": 940_000_004, **bot.message(CUSTOMER, "/status")}
        await bot.feed(dict(update))
        handled, answered_at = await _answered_at(bot.svc.db, update["update_id"])
        assert handled and answered_at is not None


# --- elsewhere --------------------------------------------------------------------------


async def test_a_language_stored_before_its_reply_was_cut_off_is_confirmed_as_saved(
    database_location: str | Path,
) -> None:
    update = {"update_id": 940_000_005}
    async with _running(database_location) as (bot, request):
        await bot.feed(bot.message(CUSTOMER, "/start"))
        update.update(bot.message(CUSTOMER, "/lang en"))
        request.chat = CUSTOMER
        await _killed(bot, update, request.reached)
    async with offline_bot(database_location) as again:
        await again.feed(dict(update))
        # Said in the language just chosen, in the project's own words.
        texts = again.svc.texts
        assert _sent(again) == [texts.render("en", "common/redelivered", hint="status")]
        assert "received and saved" in _sent(again)[0]
        await again.feed(dict(update))
        assert len(_sent(again)) == 1
        assert again.errors == []


async def _manager_and_application(bot: OfflineBot) -> dict[str, int]:
    """A customer manager of 汉台区 enrolled, and a customer's application submitted there:
    its id and version."""
    db = bot.svc.db
    code = await StaffRepo(db).create_invite(
        role=Role.CUSTOMER_MANAGER,
        name="王经理",
        district="汉台区",
        created_by=None,
        now=bot.clock.now(),
    )
    await bot.feed(bot.message(MANAGER, f"/join {code}"))
    customer = InProcessCustomer(bot.app, bot.request, CUSTOMER)
    for move in application_walk():
        raw = customer.update_for(move).to_dict()
        raw.pop("update_id")  # numbered as the offline bot numbers its updates
        await bot.feed(raw)
    [application] = await bot.svc.applications.list_for_customer(CUSTOMER)
    return {"id": application.id, "version": application.version}


async def test_a_stage_moved_before_the_reply_was_cut_off_shows_the_card_as_it_stands(
    database_location: str | Path,
) -> None:
    """A member's press is not obeyed twice: its redelivery says it was saved, and shows the
    application's card at the stage it moved to, with the actions that come next."""
    update = {"update_id": 940_000_006}
    async with _running(database_location) as (bot, request):
        app = await _manager_and_application(bot)
        accept = StageActionPress(Act.ACCEPT, app["id"], app["version"]).encode()
        update.update(bot.press(MANAGER, accept))
        request.chat = MANAGER
        await _killed(bot, update, request.reached)
        moved = await bot.svc.applications.get(app["id"])
        assert moved is not None and moved.version == app["version"] + 1
    async with offline_bot(database_location) as again:
        await again.feed(dict(update))
        texts = again.svc.texts
        sent = _sent(again, MANAGER)
        assert len(sent) == 2, sent
        assert sent[0] == texts.render("zh_CN", "common/redelivered", hint="")
        card = texts.label("zh_CN", "act.propose_slots")
        assert moved.number in sent[1] and card in sent[1], sent[1]
        unchanged = await again.svc.applications.get(app["id"])
        assert unchanged is not None and unchanged.version == moved.version
        await again.feed(dict(update))
        assert len(_sent(again, MANAGER)) == 2
        assert again.errors == []


async def test_a_press_that_asked_for_a_note_before_the_reply_was_cut_off_shows_the_card(
    database_location: str | Path,
) -> None:
    """The conversation's state follows the reply, so the kill left no note awaited in the
    chat: the card comes, and the same button asks for the note again."""
    update = {"update_id": 940_000_007}
    async with _running(database_location) as (bot, request):
        app = await _manager_and_application(bot)
        back = StageActionPress(Act.RETURN_MISSING, app["id"], app["version"]).encode()
        update.update(bot.press(MANAGER, back))
        request.chat = MANAGER
        await _killed(bot, update, request.reached)
    async with offline_bot(database_location) as again:
        await again.feed(dict(update))
        texts = again.svc.texts
        sent = _sent(again, MANAGER)
        assert len(sent) == 2 and sent[0] == texts.render("zh_CN", "common/redelivered", hint="")
        assert back in sent[1]  # the card, with the button pressed
        await again.feed(again.press(MANAGER, back))
        assert "请写明缺少或需更正的资料" in _sent(again, MANAGER)[-1]
        await again.feed(again.message(MANAGER, "营业执照复印件不清晰，请重新上传"))
        returned = await again.svc.applications.get(app["id"])
        assert returned is not None and returned.step == "accept_missing"
        assert again.errors == []


async def test_a_file_kept_before_its_reply_was_cut_off_is_counted_with_its_button(
    database_location: str | Path,
) -> None:
    """The customer sends what the manager asked for; the file is kept, the count never
    came: the redelivery says it was saved, then counts the files with "all files sent"."""
    update = {"update_id": 940_000_008}
    async with _running(database_location) as (bot, request):
        app = await _manager_and_application(bot)
        back = StageActionPress(Act.RETURN_MISSING, app["id"], app["version"]).encode()
        await bot.feed(bot.press(MANAGER, back))
        await bot.feed(bot.message(MANAGER, "营业执照复印件不清晰，请重新上传"))
        supply = StageActionPress(Act.SUPPLY_MISSING, app["id"], app["version"] + 1).encode()
        await bot.feed(bot.press(CUSTOMER, supply))
        document = {
            "file_id": "BQACAgUAAxkBsupply",
            "file_unique_id": "dsupply",
            "file_name": "licence.pdf",
            "mime_type": "application/pdf",
            "file_size": 60,
        }
        update.update(bot.message(CUSTOMER, document=document))
        request.chat = CUSTOMER
        await _killed(bot, update, request.reached)
    async with offline_bot(database_location) as again:
        await again.feed(dict(update))
        texts = again.svc.texts
        sent = _sent(again)
        assert len(sent) == 2 and sent[0] == texts.render("zh_CN", "common/redelivered", hint="")
        assert sent[1].startswith(texts.render("zh_CN", "wf/file_received", count=1))
        assert texts.label("zh_CN", "btn.files_done") in sent[1]
        assert again.errors == []
