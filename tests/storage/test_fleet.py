"""Several instances on one PostgreSQL database: an update handled once, a chat handled by
one instance at a time, a conversation that carries on wherever its next message lands; and
the webhook answering Telegram only once the update is handled (on both databases).

Two applications built by ``build_application`` on the same database stand for two
instances; they share one recording Bot API, so a button shown by one can be pressed on the
other and every message sent is counted once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

import storage.db
from benchmarks.recording import InProcessCustomer
from benchmarks.walk import application_walk
from bot.config.settings import Webhook
from bot.webhook import SECRET_HEADER, UpdatesSettled, WebhookServer
from process.clock import ManualClock
from sandbox.recording import RecordingRequest
from storage.chat_lock import CHAT_LOCK_NAMESPACE
from storage.db import Database
from storage.models import User
from storage.units import current_unit
from storage.update_handling import take_opened_speaker
from storage.users import UsersRepo
from tests.e2e.customer import ANSWERS
from tests.e2e.harness import shanghai
from tests.security.offline import OfflineBot, offline_bot

CUSTOMER = 5_200_001
# Between the update's unit being opened and the bot's own handlers.
HOOK_GROUP = -10_000
SECRET = "Fq1-secret_token-0123456789"


@asynccontextmanager
async def fleet(url: str) -> AsyncIterator[tuple[OfflineBot, OfflineBot]]:
    request = RecordingRequest()
    clock = ManualClock(shanghai(2026, 11, 27, 10, 0))
    async with (
        offline_bot(url, request=request, clock=clock) as a,
        offline_bot(url, request=request, clock=clock) as b,
    ):
        yield a, b


def hook(bot: OfflineBot, callback: Callable[[Update], Awaitable[None]]) -> None:
    """Run ``callback`` for every update ``bot`` handles, after its unit is opened (and, on
    PostgreSQL, its chat taken) and before the bot's own handlers."""

    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await callback(update)

    bot.app.add_handler(TypeHandler(Update, run), group=HOOK_GROUP)


def _sent(bot: OfflineBot) -> list[str]:
    return [c.text for c in bot.request.to_chat(CUSTOMER) if c.method == "sendMessage"]


async def _registered_and_applying(bot: OfflineBot) -> None:
    await bot.feed(bot.message(CUSTOMER, "/start"))
    contact = {"phone_number": "13800138000", "user_id": CUSTOMER, "first_name": "张"}
    await bot.feed(bot.message(CUSTOMER, contact=contact))
    await bot.feed(bot.message(CUSTOMER, "/apply"))


async def _state(db: Database) -> str | None:
    row = await db.fetchone("SELECT state FROM conversations WHERE name = 'apply'")
    return None if row is None else str(row["state"])


async def _handled(db: Database, update_id: int) -> bool:
    row = await db.fetchone("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,))
    return row is not None


async def _until(condition: Callable[[], Awaitable[bool]]) -> bool:
    """Until ``condition`` holds; the ceiling is generous for a loaded machine."""
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.01)
    return False


# --- handled once ---------------------------------------------------------------------


async def test_one_update_delivered_to_two_instances_at_once_is_answered_once(
    postgres_url: str,
) -> None:
    async with fleet(postgres_url) as (a, b):
        await _registered_and_applying(a)
        update = {"update_id": 910_000_001, **a.message(CUSTOMER, ANSWERS["applicant_name"])}
        before = len(_sent(a))
        await asyncio.gather(a.feed(dict(update)), b.feed(dict(update)))
        assert len(_sent(a)) == before + 1  # the next question, once
        assert await _state(a.svc.db) == "field:uscc"
        draft = await a.svc.drafts.get(CUSTOMER)
        assert draft is not None and draft.fields["applicant_name"] == ANSWERS["applicant_name"]
        assert a.errors == [] and b.errors == []


async def test_an_update_another_instance_commits_first_is_rolled_back_whole_and_not_told(
    postgres_url: str,
) -> None:
    async with fleet(postgres_url) as (a, b):
        await _registered_and_applying(a)
        update = {"update_id": 910_000_002, **a.message(CUSTOMER, "not a company name")}

        async def committed_elsewhere(seen: Update) -> None:
            # Past B's look-up, the same update is committed by another instance: only the
            # id's insert can tell now. A task of its own, so that it is not B's write.
            if seen.update_id == update["update_id"]:
                await asyncio.create_task(
                    a.svc.db.execute(
                        "INSERT INTO processed_updates (update_id, handled_at) VALUES (?, ?)",
                        (seen.update_id, "2026-11-27T10:00:00+08:00"),
                    )
                )

        hook(b, committed_elsewhere)
        before = len(b.request.calls)
        await b.feed(dict(update))
        assert [c.method for c in b.request.calls[before:]] == []  # no answer, no apology
        assert b.errors == []
        assert await _state(b.svc.db) == "field:applicant_name"
        assert "applicant_name" not in ((await b.svc.drafts.answers(CUSTOMER)) or {})
        # B goes on with the next update as usual: its chat was given back.
        await b.feed(b.message(CUSTOMER, ANSWERS["applicant_name"]))
        assert await _state(b.svc.db) == "field:uscc"
        assert b.errors == []


# --- one chat at a time ---------------------------------------------------------------


async def test_two_updates_of_one_chat_on_two_instances_are_handled_one_after_the_other(
    postgres_url: str,
) -> None:
    async with fleet(postgres_url) as (a, b):
        await _registered_and_applying(a)
        first = {"update_id": 920_000_001, **a.message(CUSTOMER, ANSWERS["applicant_name"])}
        second = {"update_id": 920_000_002, **a.message(CUSTOMER, ANSWERS["uscc"])}
        a_inside, a_may_go = asyncio.Event(), asyncio.Event()
        first_committed_when_b_began: list[bool] = []

        async def a_holds(seen: Update) -> None:
            if seen.update_id == first["update_id"]:
                a_inside.set()
                await a_may_go.wait()

        async def b_begins(seen: Update) -> None:
            if seen.update_id == second["update_id"]:
                first_committed_when_b_began.append(await _handled(b.svc.db, first["update_id"]))

        hook(a, a_holds)
        hook(b, b_begins)
        on_a = asyncio.create_task(a.feed(dict(first)))
        await a_inside.wait()
        on_b = asyncio.create_task(b.feed(dict(second)))
        assert await _until(lambda: _waiting_for_a_chat(a.svc.db)), "B never waited for A"
        assert first_committed_when_b_began == [] and not on_b.done()
        a_may_go.set()
        await asyncio.gather(on_a, on_b)
        assert first_committed_when_b_began == [True]
        answers = (await a.svc.drafts.answers(CUSTOMER)) or {}
        assert answers["applicant_name"] == ANSWERS["applicant_name"]
        assert answers["uscc"] == ANSWERS["uscc"]
        assert await _state(a.svc.db) == "field:project_name"
        assert a.errors == [] and b.errors == []


async def _waiting_for_a_chat(db: Database) -> bool:
    row = await db.fetchone(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = ? AND objsubid = 2",
        (CHAT_LOCK_NAMESPACE,),
    )
    return row is not None and int(row[0]) > 0


# --- state wherever the next message lands --------------------------------------------


async def test_a_form_whose_answers_land_on_alternate_instances_is_filled_and_submitted(
    postgres_url: str,
) -> None:
    async with fleet(postgres_url) as (a, b):
        customer = InProcessCustomer(a.app, a.request, CUSTOMER)
        for step, move in enumerate(application_walk()):
            on = (a, b)[step % 2]
            raw = customer.update_for(move).to_dict()
            update = Update.de_json(raw, on.app.bot)
            assert update is not None
            before = len(on.request.calls)
            await on.app.process_update(update)
            assert len(on.request.calls) > before, f"{move} went unanswered"
        assert a.errors == [] and b.errors == []
        submitted = await a.svc.applications.list_for_customer(CUSTOMER)
        assert len(submitted) == 1, "the form was not submitted once"
        [application] = submitted
        for field in ("applicant_name", "uscc", "project_name", "site_address", "district"):
            assert getattr(application, field) == ANSWERS[field], field
        assert application.capacity_kva == int(ANSWERS["capacity_kva"])
        assert str(application.wanted_date) == ANSWERS["wanted_date"]
        assert application.contact_mobile == ANSWERS["contact_mobile"]


async def test_a_language_chosen_on_one_instance_is_spoken_by_the_other(
    postgres_url: str,
) -> None:
    async with fleet(postgres_url) as (a, b):
        await _registered_and_applying(a)
        await b.feed(b.message(CUSTOMER, "/help"))  # B now holds the customer in memory
        chinese = _sent(b)[-1]
        await a.feed(a.message(CUSTOMER, "/lang en"))
        await b.feed(b.message(CUSTOMER, "/help"))
        english = _sent(b)[-1]
        texts = b.svc.texts
        assert chinese == texts.render("zh_CN", "help/customer")
        assert english == texts.render("en", "help/customer")
        assert a.errors == [] and b.errors == []


async def test_an_update_on_a_fleet_opens_with_one_trip_that_the_speakers_read_takes(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the update was handled, the chat's conversation states and the speaker's
    users row are read in one trip before the bot's handlers run; the speaker's read
    (``flows.common.load_user``) then takes that row instead of a trip of its own, and sees
    what another instance wrote."""
    async with fleet(postgres_url) as (a, b):
        await _registered_and_applying(a)
        await a.feed(a.message(CUSTOMER, "/help"))  # A holds the customer in memory
        await b.feed(b.message(CUSTOMER, "/lang en"))  # ...and B changes the language
        trips: list[str] = []
        counted = storage.db.in_thread

        async def counting(connection: Any, work: Callable[[Any], Any]) -> Any:
            trips.append(getattr(work, "__qualname__", ""))
            return await counted(connection, work)

        gets: list[int] = []
        get = UsersRepo.get

        async def recorded(repo: UsersRepo, user_id: int) -> User | None:
            gets.append(user_id)
            return await get(repo, user_id)

        opened: list[tuple[int, tuple[int, User | None] | None]] = []

        async def look(update: Update) -> None:
            unit = current_unit()
            assert unit is not None
            opened.append((len(trips), unit.opened_speaker))

        hook(a, look)
        monkeypatch.setattr(storage.db, "in_thread", counting)
        monkeypatch.setattr(UsersRepo, "get", recorded)
        await a.feed(a.message(CUSTOMER, "/help"))
        assert len(opened) == 1
        trips_before_handlers, speaker = opened[0]
        assert trips_before_handlers == 1
        assert speaker is not None and speaker[0] == CUSTOMER
        assert speaker[1] is not None and speaker[1].locale == "en"
        assert gets == []  # the speaker's read took the opening's row
        assert _sent(a)[-1] == a.svc.texts.render("en", "help/customer")
        assert a.errors == [] and b.errors == []
        assert take_opened_speaker(CUSTOMER) is None  # no update: nothing opened


# --- the webhook answers once the update is handled -----------------------------------


@pytest.fixture
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    from tests.postgres import on_postgresql

    if on_postgresql(request.config):
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "hv.db"


@asynccontextmanager
async def webhooked(
    location: str | Path, **server: Any
) -> AsyncIterator[tuple[OfflineBot, WebhookServer]]:
    clock = ManualClock(shanghai(2026, 11, 27, 10, 0))
    async with offline_bot(location, clock=clock) as bot:
        settings = Webhook(
            url="https://bot.example.com/telegram/hook", secret=SECRET, host="127.0.0.1", port=0
        )
        webhook = WebhookServer(bot.app, settings, **server)
        await webhook.start(register=False)
        await bot.app.start()
        try:
            yield bot, webhook
        finally:
            await webhook.stop()
            await bot.app.stop()


async def _post(webhook: WebhookServer, update: dict[str, Any]) -> int:
    headers = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as http:
        async with http.post(webhook.address, json=update, headers=headers) as response:
            return response.status


async def test_the_webhook_answers_only_once_the_update_is_committed(
    location: str | Path,
) -> None:
    async with webhooked(location) as (bot, webhook):
        update = {"update_id": 930_000_001, **bot.message(CUSTOMER, "/start")}
        inside, may_go = asyncio.Event(), asyncio.Event()

        async def held(seen: Update) -> None:
            if seen.update_id == update["update_id"]:
                inside.set()
                await may_go.wait()

        hook(bot, held)
        posted = asyncio.create_task(_post(webhook, update))
        await inside.wait()
        # The handler is blocked: Telegram has no answer, and a crash now would leave the
        # update with Telegram to deliver again.
        assert not posted.done()
        assert not await _handled(bot.svc.db, update["update_id"])
        may_go.set()
        assert await posted == 200
        assert await _handled(bot.svc.db, update["update_id"])
        assert _sent(bot), "the update was not answered in the chat"
        assert bot.errors == []


async def test_a_redelivery_and_a_failed_update_are_answered_too(location: str | Path) -> None:
    async with webhooked(location) as (bot, webhook):
        update = {"update_id": 930_000_002, **bot.message(CUSTOMER, "/start")}
        assert await _post(webhook, update) == 200
        assert await _post(webhook, update) == 200  # skipped as a redelivery
        failing = {"update_id": 930_000_003, **bot.message(CUSTOMER, "/status")}

        async def fail(seen: Update) -> None:
            if seen.update_id == failing["update_id"]:
                raise RuntimeError("the handler broke")

        hook(bot, fail)
        assert await _post(webhook, failing) == 200  # ended in the error handler
        assert [str(e) for e in bot.errors] == ["the handler broke"]


async def test_an_update_still_handled_when_the_wait_runs_out_is_left_to_telegram(
    location: str | Path,
) -> None:
    async with webhooked(location, handling_timeout=0.05) as (bot, webhook):
        update = {"update_id": 930_000_004, **bot.message(CUSTOMER, "/start")}
        may_go = asyncio.Event()

        async def held(seen: Update) -> None:
            if seen.update_id == update["update_id"]:
                await may_go.wait()

        hook(bot, held)
        assert await _post(webhook, update) == 503  # Telegram will deliver it again
        settled = bot.app.update_processor
        assert isinstance(settled, UpdatesSettled)
        handled = settled.expect(update["update_id"])
        may_go.set()
        await handled  # handled all the same, once: the redelivery will be skipped
        assert await _handled(bot.svc.db, update["update_id"])
        assert _sent(bot), "the update was not answered in the chat"
        assert bot.errors == []
