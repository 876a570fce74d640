"""A fleet of bot instances in webhook mode behind one address, and what a fleet test counts.

:class:`Fleet` runs N ``hvconnect run`` processes (:class:`WebhookBot`), each with its own
webhook server on a port of its own, behind the sandbox's load balancer
(:mod:`sandbox.balancer`); the emulator's webhook is routed to the balancer, so each update
goes to one instance (the emulator retries it elsewhere when that one is down or answers
badly). Any instance can be SIGKILLed and started again on the same port; the balancer keeps
its address and passes it over while it refuses connections, as a real one would.

The database is one string, HVCONNECT_DB as the bot reads it: a file path (SQLite, one
instance: the run lock refuses a second) or a ``postgresql://`` URL.

:func:`count_outcome` gathers what a fleet test reports: applications customers were told
of against those in the database, every field customers typed against what the application
holds, answers the bot accepted against those stored, actions that got no reply, messages
repeated in a chat, outbox messages missing or repeated, 429s the emulator gave, and updates
the webhook acknowledged that the database has no record of handling.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sandbox.balancer import Balancer
from sandbox.emulator import BotApiEmulator
from storage.db import Database
from tests.keys import make_test_cipher
from tests.reliability.crash_rig import START_TIMEOUT, BotProcess, FormFiller, bot_environment

WEBHOOK_HOST = "bot.example.com"
WEBHOOK_URL = f"https://{WEBHOOK_HOST}/tg/webhook"
WEBHOOK_SECRET = "fleet-rig-webhook-secret-0123456789"
# What the scheduler logs when this instance takes the lead, and when it loses it.
LEADS = "this instance leads now"
NO_LONGER_LEADS = "this instance no longer leads"
# The fields customers type, as the application stores them (str() of the capacity). The
# others are pressed: a choice's button names its field, and one from another step is
# refused as stale, so a choice cannot land in another field.
TYPED_FIELDS = (
    "applicant_name",
    "uscc",
    "project_name",
    "site_address",
    "capacity_kva",
    "wanted_date",
    "contact_name",
    "contact_mobile",
)


def free_port() -> int:
    """A port nobody listens on now; an instance keeps it across its restarts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def webhook_environment(
    emulator: BotApiEmulator,
    db: str,
    key: str,
    port: int,
    *,
    starting_at: datetime | None = None,
) -> dict[str, str]:
    """The environment of one instance: the webhook URL and secret shared, its own port."""
    env = bot_environment(emulator, db, key, starting_at=starting_at)
    env.update(
        HVCONNECT_WEBHOOK_URL=WEBHOOK_URL,
        HVCONNECT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        HVCONNECT_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )
    return env


async def _accepts(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


class WebhookBot(BotProcess):
    """One instance in webhook mode: up once its webhook server accepts connections and the
    webhook is registered (by this instance or an earlier one)."""

    def __init__(
        self, emulator: BotApiEmulator, env: dict[str, str], log_dir: Path, port: int
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(emulator, env, log_dir)
        self.port = port
        self.address = f"http://127.0.0.1:{port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def leads(self) -> bool:
        """Whether this instance, running, last said it leads (runs the sweeps): the
        scheduler logs each change of the lead (notifications/reminders/scheduler.py)."""
        if not self.running or not self.current_log().exists():
            return False
        said = self.current_log().read_text(errors="replace")
        return said.rfind(LEADS) > said.rfind(NO_LONGER_LEADS)

    async def start(self) -> None:
        self.starts += 1
        process: subprocess.Popen[bytes] = self._spawn()
        self._process = process
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not (self._emulator.webhook.get("url") and await _accepts(self.port)):
            if process.poll() is not None:
                raise AssertionError(f"the bot exited: {self.log_tail()}")
            if loop.time() > deadline:
                raise AssertionError(
                    f"the bot did not start within {START_TIMEOUT:.0f} s: {self.log_tail()}"
                )
            await asyncio.sleep(0.02)


class Fleet:
    """``size`` instances on database ``db`` behind a balancer the emulator's webhook reaches."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        *,
        db: str,
        key: str,
        size: int,
        log_dir: Path,
        starting_at: datetime | None = None,
        seed: int = 0,
    ) -> None:
        self.emulator = emulator
        self.balancer = Balancer(seed=seed)
        self.bots: list[WebhookBot] = []
        for index in range(size):
            port = free_port()
            env = webhook_environment(emulator, db, key, port, starting_at=starting_at)
            self.bots.append(WebhookBot(emulator, env, log_dir / f"bot{index}", port))
        self.kills = 0

    async def start(self) -> None:
        """The balancer, then every instance in turn (each registers the same webhook)."""
        await self.balancer.start()
        self.emulator.route_webhook(WEBHOOK_HOST, self.balancer.address)
        for bot in self.bots:
            self.balancer.add(bot.address)
            await bot.start()

    def kill(self, index: int) -> None:
        """SIGKILL one instance; it stays among the balancer's backends, refusing."""
        self.bots[index].kill()
        self.kills += 1

    def kill_random(self, rng: random.Random) -> int:
        """SIGKILL a running instance picked by ``rng``; returns its index."""
        running = [i for i, bot in enumerate(self.bots) if bot.running]
        assert running, "no instance is running"
        index = rng.choice(running)
        self.kill(index)
        return index

    def leaders(self) -> list[int]:
        """The running instances that say they lead: one, once the first has started."""
        return [i for i, bot in enumerate(self.bots) if bot.leads]

    async def restart(self, index: int) -> None:
        await self.bots[index].start()

    def stop(self) -> list[int]:
        """SIGTERM every instance still running; their exit statuses."""
        return [bot.stop() for bot in self.bots]

    async def close(self) -> None:
        await self.balancer.stop()

    def log_tails(self) -> str:
        return "\n".join(f"--- instance {i}\n{bot.log_tail()}" for i, bot in enumerate(self.bots))


@dataclass(frozen=True)
class FleetOutcome:
    """What a fleet test reports; the names say what each number counts."""

    applications_told: int  # application numbers customers were given
    applications_lost: int  # of them, not in the database
    fields_wrong: int  # typed fields of their applications that hold another value
    answers_accepted: int  # answers the bot moved on from, of customers not yet submitted
    answers_lost: int  # of them, not in the customer's draft
    actions_unanswered: int  # actions no reply came to while the bot was up
    repeated_messages: int  # bot messages whose text the same chat already had
    outbox_missing: int  # outbox messages that never reached their chat
    outbox_repeated: int  # outbox messages a chat received more often than queued
    too_many_requests: int  # 429 answers the emulator gave
    acknowledged_not_handled: int  # updates the webhook acknowledged, never recorded handled

    def lines(self) -> str:
        return "\n".join(f"{name}: {value}" for name, value in vars(self).items())

    def assert_nothing_lost(self, *, customers: int, kills: int, report: str) -> None:
        """What every fleet test demands: each customer's application and answers kept,
        every field as typed, the outbox delivered with at most one message repeated per
        kill (Telegram had it, its instance died before marking it sent), no 429, every
        acknowledged update handled."""
        assert self.applications_told == customers, report
        assert self.applications_lost == 0, report
        assert self.fields_wrong == 0, report
        assert self.answers_lost == 0, report
        assert self.outbox_missing == 0, report
        assert self.outbox_repeated <= kills, report
        assert self.too_many_requests == 0, report
        assert self.acknowledged_not_handled == 0, report


def repeated_messages(emulator: BotApiEmulator, chat_ids: Iterable[int]) -> int:
    """Messages whose text (HTML as sent) an earlier message of the same chat had."""
    repeats = 0
    for chat_id in chat_ids:
        texts = Counter((m.html or m.text or m.caption or "") for m in emulator.messages(chat_id))
        repeats += sum(n - 1 for n in texts.values())
    return repeats


async def count_outcome(
    db_location: str, emulator: BotApiEmulator, fillers: list[FormFiller], chat_ids: list[int]
) -> FleetOutcome:
    """Read the database (the fleet may be up: these reads take no lock) and the emulator."""
    db = await Database.open(db_location, cipher=make_test_cipher())
    try:
        told = lost_apps = wrong = accepted = lost_answers = 0
        for filler in fillers:
            apps = await db.fetchall(
                f"SELECT number, {', '.join(TYPED_FIELDS)} FROM applications WHERE customer_id = ?",
                (filler.user.id,),
            )
            by_number = {a["number"]: a for a in apps}
            for number in filler.numbers:
                told += 1
                app = by_number.get(number)
                if app is None:
                    lost_apps += 1
                    continue
                wrong += sum(1 for f in TYPED_FIELDS if str(app[f]) != filler.answers[f])
            if apps:
                continue
            draft = await db.fetchone(
                "SELECT fields FROM drafts WHERE user_id = ?", (filler.user.id,)
            )
            fields = json.loads(draft["fields"]) if draft else {}
            accepted += len(filler.accepted)
            lost_answers += sum(
                1 for name, value in filler.accepted.items() if fields.get(name) != value
            )
        outbox = await db.fetchall(
            "SELECT chat_id, text FROM outbox WHERE status = 'sent' "
            "AND document_file_id IS NULL AND photo_file_id IS NULL"
        )
        handled = {int(r[0]) for r in await db.fetchall("SELECT update_id FROM processed_updates")}
    finally:
        await db.close()
    expected = Counter((r["chat_id"], r["text"]) for r in outbox)
    missing = repeated = 0
    for (chat_id, text), n in expected.items():
        got = sum(1 for m in emulator.messages(chat_id) if (m.html or m.text) == text)
        missing += max(0, n - got)
        repeated += max(0, got - n)
    return FleetOutcome(
        applications_told=told,
        applications_lost=lost_apps,
        fields_wrong=wrong,
        answers_accepted=accepted,
        answers_lost=lost_answers,
        actions_unanswered=sum(f.unanswered_actions for f in fillers),
        repeated_messages=repeated_messages(emulator, chat_ids),
        outbox_missing=missing,
        outbox_repeated=repeated,
        too_many_requests=emulator.stats.too_many_requests,
        acknowledged_not_handled=len(set(emulator.webhook_acknowledged) - handled),
    )


async def outbox_left(db_location: str) -> int:
    """Outbox rows not yet sent."""
    db = await Database.open(db_location, cipher=make_test_cipher())
    try:
        row = await db.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE status != 'sent'")
        return int(row["n"]) if row else 0
    finally:
        await db.close()
