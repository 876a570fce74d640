"""The bot as a real process that can be killed, and people who keep working regardless.

:class:`BotProcess` runs ``python -m bot.cli.main run`` against the emulator in the test process,
on a real port, and kills it with SIGKILL when told. :class:`FormFiller` is a customer who
reads the bot's last message to decide what to do next (answer the question asked, upload,
press Next or Submit) instead of following a fixed script, so that after a crash it simply
carries on from wherever the bot now stands, as a person would. It remembers which answers
the bot accepted (it moved on to the next question) and which numbers it was given.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from notifications.render import Texts
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from sandbox.users import ButtonNotFound, FakeUser
from tests.e2e.customer import ANSWERS, CHOICE_FIELDS, PDF

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"HV-\d{4}-\d{6}")
LABELS = {Texts("zh_CN").label("zh_CN", f"field.{name}"): name for name in ANSWERS}
PROMPT = re.compile(r"(?:\d+/\d+ |修改：)(?P<label>[^\n]+)")
# A start is a Python process importing the bot and migrating: a second when the machine is
# idle, many on a loaded one. The wait ends as soon as the bot polls; the ceiling only names
# a bot that never will.
START_TIMEOUT = 60.0
# The bot answers every action with a message; the wait ends at once when it does, or when
# the bot is killed. The ceiling is for an answer the crash ate: the customer then looks again.
REPLY_TIMEOUT = 20.0
SETTLE = 0.15


class BotProcess:
    """``hvconnect run`` in a subprocess, pointed at the emulator."""

    def __init__(self, emulator: BotApiEmulator, env: dict[str, str], log_dir: Path) -> None:
        self._emulator = emulator
        self._env = env
        self._log_dir = log_dir
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        polled = self._emulator.stats.requests.get("getUpdates", 0)
        self._process = self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        # Until it polls: migrated, menus published, sender started.
        while self._emulator.stats.requests.get("getUpdates", 0) <= polled:
            if self._process.poll() is not None:
                raise AssertionError(f"the bot exited: {self.log_tail()}")
            if loop.time() > deadline:
                raise AssertionError(
                    f"the bot did not start within {START_TIMEOUT:.0f} s: {self.log_tail()}"
                )
            await asyncio.sleep(0.02)

    def _spawn(self) -> subprocess.Popen[bytes]:
        with (self._log_dir / f"bot-{self.starts}.log").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "run"],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, as in a power cut."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None

    def stop(self) -> int:
        if self._process is None:
            return 0
        self._process.send_signal(signal.SIGTERM)
        code = self._process.wait(timeout=30)
        self._process = None
        return code

    def log_tail(self) -> str:
        log = self.current_log()
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def current_log(self) -> Path:
        """The log of the latest start (bot-10.log comes after bot-9.log, not before)."""
        return self._log_dir / f"bot-{self.starts}.log"


def bot_environment(
    emulator: BotApiEmulator, db_path: Path | str, key: str, *, starting_at: datetime | None = None
) -> dict[str, str]:
    """The bot's environment; ``starting_at`` puts its clock there now, running on from it.

    ``db_path`` is HVCONNECT_DB as given: a file path, or a ``postgresql://`` URL.

    The offset is fixed once, so every restart of the bot keeps the same clock as the test.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HVCONNECT_", "TELEGRAM_"))}
    env.update(
        HVCONNECT_TOKEN=emulator.token,
        HVCONNECT_API_URL=emulator.base_url,
        HVCONNECT_DB=str(db_path),
        HVCONNECT_SECRET_KEY=key,
        PYTHONPATH=str(ROOT),
    )
    if starting_at is not None:
        offset = starting_at - datetime.now(starting_at.tzinfo)
        env["HVCONNECT_CLOCK_OFFSET"] = f"{offset.total_seconds():.3f}"
    return env


@dataclass
class FormFiller:
    """A customer filling in the form, whatever the bot went through meanwhile."""

    user: FakeUser
    answers: dict[str, str] = field(default_factory=lambda: dict(ANSWERS))
    accepted: dict[str, str] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)
    # Seconds the customer reads before each action. Telegram's one message a second to a
    # private chat is sized for people: a customer who acts the instant the bot has spoken
    # makes the bot's replies meet flood control (429), which says nothing about the bot.
    # 0 (acting at once) suits tests that count no 429s.
    reading_time: float = 0.0
    # Seconds to wait for an answer before looking at /status. Many customers on a busy
    # fleet wait their turn in Telegram's 30 messages a second: a ceiling shorter than that
    # queue makes everyone ask /status, which lengthens the queue further.
    reply_timeout: float = REPLY_TIMEOUT
    # Actions the bot never answered within ``reply_timeout`` (none went down, none refused).
    unanswered_actions: int = 0
    _asked: str | None = None  # the field we last answered, until the bot moves on
    _checked_status: bool = False
    # Set when the bot is killed: no answer is coming, so nobody waits for one.
    _bot_down: asyncio.Event = field(default_factory=asyncio.Event)
    # Our last action got no new message: the bot went down first (it may have taken the
    # action or not), or it said with a toast that the button was out of date.
    _unanswered: bool = False

    @property
    def done(self) -> bool:
        return bool(self.numbers)

    async def act(self) -> None:
        """One action from what the bot last said, then wait for its answer."""
        if self.reading_time > 0:
            await asyncio.sleep(self.reading_time)  # a person reading, not a wait for the bot
        if self._unanswered:
            # The question on screen may be one the bot has already moved past (it took
            # the answer, then died before asking the next): look where things stand first,
            # as a person would, instead of typing the same answer into the next field or
            # pressing an out-of-date button again.
            self._unanswered = False
            self._checked_status = True
            await self._send("/status")
            return
        last = self.user.last_message()
        text = (last.text or last.caption or "") if last else ""
        buttons = [b.text for b in last.inline_buttons] if last else []
        prompt = PROMPT.search(text)
        asked = LABELS.get(prompt.group("label").strip()) if prompt else None
        moved_on = (
            (asked is not None and asked != self._asked)
            or text.startswith("上传资料")
            or "✅ 提交申请" in buttons
        )
        if self._asked is not None and moved_on:
            self.accepted[self._asked] = self.answers[self._asked]  # the bot took it
        self._asked = None
        number = NUMBER.search(text)
        if number and ("申请已提交" in text or "我的申请" in text or "当前环节" in text):
            self.numbers.append(number.group())
            return
        try:
            await self._respond(last, text, buttons, asked)
        except ButtonNotFound:
            await self._send("/apply")

    async def _respond(
        self, last: SentMessage | None, text: str, buttons: list[str], asked: str | None
    ) -> None:
        assert last is not None or not buttons
        if last is not None and "✅ 提交申请" in buttons:
            await self._press(last, "✅ 提交申请")
        elif last is not None and "继续填写" in buttons:
            await self._press(last, "继续填写")
        elif asked is not None:
            self._asked = asked
            value = self.answers[asked]
            if asked in CHOICE_FIELDS and last is not None:
                await self._press(last, value)
            else:
                await self._send(value)
        elif last is not None and text.startswith(("上传资料", "已收到“")):
            if "已收到" in text and "下一步 ▶" in buttons:
                await self._press(last, "下一步 ▶")
            elif "后补（告知承诺）" in buttons and "已收到" not in text:
                await self._press(last, "后补（告知承诺）")
            else:
                await self._upload()
        elif not self._checked_status:
            # Lost track (a crash ate the bot's answer): a person would look first.
            self._checked_status = True
            await self._send("/status")
        else:
            self._checked_status = False
            await self._send("/apply")

    async def _send(self, text: str) -> None:
        before = len(self.user.messages())
        await self.user.send_text(text)
        await self._settle(before)

    async def _press(self, message: SentMessage, label: str) -> None:
        before = len(self.user.messages())
        toasts = self._toasts()
        await self.user.press(message, label)
        await self._settle(before, toasts)

    def _toasts(self) -> int:
        """Presses the bot answered with words: a refusal or an out-of-date button, after
        which no message comes (a press it obeys is answered silently)."""
        return sum(1 for answer in self.user.callback_answers if answer.text)

    async def _upload(self) -> None:
        before = len(self.user.messages())
        await self.user.send_document("doc.pdf", PDF, "application/pdf")
        await self._settle(before)

    async def _settle(self, before: int, toasts: int | None = None) -> None:
        """Until the bot said something new and then nothing for a moment (or gave up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout

        def refused() -> bool:
            return toasts is not None and self._toasts() > toasts

        while len(self.user.messages()) <= before and not self._bot_down.is_set():
            if refused() or loop.time() > deadline:
                break
            await asyncio.sleep(0.02)
        seen = len(self.user.messages())
        if seen <= before and not (self._bot_down.is_set() or refused()):
            self.unanswered_actions += 1
        if seen <= before:
            # Down, refused, or no answer within the ceiling (a fleet's other instances
            # carry on, so nothing says "down"): a person would look where things stand.
            self._unanswered = True
        while True:
            await asyncio.sleep(SETTLE)
            if len(self.user.messages()) == seen:
                return
            seen = len(self.user.messages())


def describe(fillers: list[FormFiller]) -> str:
    """Where each customer who is not done stands: for a run that did not finish."""
    lines = []
    for filler in fillers:
        if not filler.done:
            last = [(m.text or m.caption or "")[:60] for m in filler.user.messages()[-3:]]
            lines.append(f"customer {filler.user.id}, last bot messages: {last}")
    return "\n".join(lines)


async def keep_filling(fillers: list[FormFiller], stop: asyncio.Event) -> None:
    """Everyone acts in turn until all are done or ``stop`` is set (the bot is down)."""

    async def one(filler: FormFiller) -> None:
        filler._bot_down = stop
        while not filler.done and not stop.is_set():
            await filler.act()

    await asyncio.gather(*(one(f) for f in fillers))


async def invite_manager(db: Path | str, now: datetime) -> str:
    """The database migrated and an invitation for a customer manager of 汉台区 in it, as an
    admin would make one: its code, for ``/join``."""
    from process.roles import Role
    from storage.db import Database
    from storage.migrate import migrate
    from storage.staff.members import StaffRepo
    from tests.keys import make_test_cipher

    database = await Database.open(db, cipher=make_test_cipher())
    try:
        await migrate(database, now)
        return await StaffRepo(database).create_invite(
            role=Role.CUSTOMER_MANAGER, name="王经理", district="汉台区", created_by=None, now=now
        )
    finally:
        await database.close()
