"""The crawler: as each role, on each seeded application, do what a user could do next and
check that the bot answered, logged no error, did not get stuck and changed nothing that the
pressed message did not offer.

A *focus* is one application seen by one role. The crawler opens the application as that
role would (``/app`` for staff, ``/status`` for everyone else), then takes a bounded number
of steps. Each step is chosen among everything the chat offers at that moment: the buttons
of the newest message with buttons, the buttons of older messages (stale by now), every
command of the role's menu as the emulator recorded it from ``setMyCommands``, free text, a
file and a photo where a button is expected, callback data forged from the application's
own (other versions, other applications, other actions), and, when the bot waits for an
input, a valid one. The step whose (state, role, action) triple was exercised least is
taken; ties are broken by a seeded random generator, so a run is repeatable.

After every step: the bot must have answered (a message, an edit or a callback answer), no
record at ERROR may have been logged (the outbox's sends of that step included), a user
whom a conversation holds must still get an answer to ``/help``, and every change of an
application (step, version, holders, owed items, process events), of the staff or of the
set of applications must be one that the pressed button offered (a workflow button of the
current version, the input it asked for, a management button, Submit on a summary).

One kind of button is pressed only in the seeding: confirming that an active member is
disabled (the world's own disabled member is disabled by the admin's buttons there), as
pressing it here would take the staff the rest of the crawl needs.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import types
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, Union, get_origin, get_type_hints

from flows.apply.buttons import ChoicePress, SummaryAction, SummaryPress
from flows.files import FilesDone
from flows.keyboards import LanguagePress
from flows.staff.disable import KeepPress, MemberAction, MemberPress
from flows.workflow.buttons import DocumentsPress, Early, EarlyEnergizedPress
from notifications.buttons import (
    ContactPress,
    HandOverPress,
    HeldAs,
    HolderChange,
    ManagePress,
    OpenCardPress,
    ReplyPress,
    SendOwed,
    StageActionPress,
    SurveyAnswer,
)
from notifications.callback_data import decode, decode_as, press_kinds
from process.clock import today
from process.form import OwedDocument
from process.metrics import Question
from process.workflow import ACTIONS, Act, Actor, Step, available, clock_paused
from sandbox.inbox import WaitTimeout
from sandbox.messages import SentMessage
from sandbox.users import Sent
from tests.crawl.probe import HandledUpdates, LogTrap
from tests.crawl.world import (
    ADMIN,
    DISABLED,
    MANAGER,
    PROJECT,
    STRANGER,
    SUPERVISOR,
    World,
    wait_outbox,
)
from tests.e2e.customer import PDF, PNG, Customer

WAIT = 10.0  # seconds: a ceiling for a signal, never a pause
STAFF_IDS = {"manager": MANAGER, "project": PROJECT, "supervisor": SUPERVISOR, "admin": ADMIN}
# Events that are a change of the application's process; the message thread is not.
STATE_EVENTS = frozenset(
    {
        *ACTIONS,
        "submitted",
        "assigned",
        "unassigned",
        "reassigned",
        "project_attached",
        "owed_document_supplied",
    }
)
FREE_TEXT = "请问现在办到哪一步了？"
PLAN_FIGURES = "计量方式：高供高计\n业务费用：0 元"
STALE_SAMPLE = 3
FORGED_SAMPLE = 3
# How often a step goes on with the conversation the user is in, and the moves that do.
FOLLOW_THROUGH = 0.7
CONTINUING = frozenset({"press", "text", "file", "photo", "input"})


@dataclass(frozen=True)
class Move:
    """One thing a user can do next: its coverage label and how to do it."""

    label: str
    kind: str  # command, press, stale, forged, text, file, photo, input
    text: str = ""
    message_id: int = 0
    data: str = ""
    about: int | None = None  # the application it concerns, when the data does not say

    def concerns(self, focus: int) -> int:
        return self.about or target_of(self.data) or focus


@dataclass
class Snapshot:
    applications: dict[int, tuple[Any, ...]]
    events: list[tuple[int, str]]
    owed: dict[int, tuple[Any, ...]]
    staff: dict[int, tuple[Any, ...]]


@dataclass
class Crawler:
    world: World
    handled: HandledUpdates
    trap: LogTrap
    rng: random.Random
    steps_per_focus: int
    only_role: str | None = None
    only_state: str | None = None
    triples: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    # -- the walk -------------------------------------------------------------------------

    async def crawl(self) -> None:
        focuses = [(app_id, role) for app_id in self.world.applications for role in ROLE_ORDER]
        for app_id, role in focuses:
            if role == "customer" and self.world.applications[app_id] in self.world.blocked:
                continue  # they blocked the bot: they do not write to it
            state = await self.state_of(app_id)
            if self.only_role and role != self.only_role:
                continue
            if self.only_state and not state.startswith(self.only_state):
                continue
            await self.focus(app_id, role)

    async def focus(self, app_id: int, role: str) -> None:
        """Open the application as ``role``, press every button of that view (each press
        followed by a step of what the chat then offers and, if a flow is still waiting,
        by what it waits for), then a few steps more."""
        person = self.actor(app_id, role)
        number = await self.number(app_id)
        opener = "/app" if role in STAFF_IDS or role == "disabled" else "/status"
        view = Move(f"cmd:{opener}", "command", f"{opener} {number}")
        mark = await self.step(app_id, role, person, view)
        chat = self.world.emulator.state.chats[person.user.id]
        shown = [
            e.message
            for e in chat.events_after(mark)
            if e.kind == "new" and e.message.from_bot and e.message.inline_buttons
        ]
        if shown:
            card = shown[-1]
            buttons = [b for b in card.inline_buttons if b.callback_data]
            # The workflow's own buttons last: the first of them may move the application on.
            buttons.sort(key=lambda b: decode_as(b.callback_data, StageActionPress) is not None)
            for b in buttons:
                data = b.callback_data or ""
                if self._spared(data):
                    continue
                await self.step(
                    app_id,
                    role,
                    person,
                    Move(f"press:{shape(data)}", "press", b.text, card.message_id, data),
                )
                await self.wander(app_id, role, person, number)
                if await self.in_conversation(person):
                    await self.complete(app_id, role, person)
        for _ in range(self.steps_per_focus):
            await self.wander(app_id, role, person, number)

    async def wander(self, app_id: int, role: str, person: Customer, number: str) -> None:
        """One step among everything the chat offers now, the least exercised first.

        While a conversation holds the user, most steps go on with it (its buttons, text,
        files, the input it wants), so that flows are walked to their end, not only begun.
        """
        moves = await self.moves(app_id, role, person, number)
        if await self.in_conversation(person) and self.rng.random() < FOLLOW_THROUGH:
            moves = [m for m in moves if m.kind in CONTINUING] or moves
        counts = [
            self.triples[(await self.state_of(m.concerns(app_id)), role, m.label)] for m in moves
        ]
        fewest = [m for m, n in zip(moves, counts, strict=True) if n == min(counts)]
        await self.step(app_id, role, person, self.rng.choice(fewest))

    async def complete(self, app_id: int, role: str, person: Customer) -> None:
        """Give the flow the user is in what it waits for, as a careful user would: the
        typed input, or a file and then the button that says all files are sent."""
        pending = await self.world.svc.workflow.pending(person.user.id)
        if pending is None:
            return
        about = pending.application_id
        if pending.action in ("contact", "reply"):
            await self.step(
                app_id, role, person, Move("input:message", "input", FREE_TEXT, about=about)
            )
            return
        needs = ACTIONS[pending.action].needs.value if pending.action in ACTIONS else "documents"
        if needs not in ("documents", "plan", "contract"):
            typed = await self.valid_input(pending.action)
            label = f"input:{pending.action}"
            await self.step(app_id, role, person, Move(label, "input", typed, about=about))
            return
        await self.step(app_id, role, person, Move("file", "file", about=about))
        done = next(
            (
                (m.message_id, b.text, b.callback_data)
                for m in reversed(person.user.messages())
                for b in m.inline_buttons
                if decode_as(b.callback_data, FilesDone) is not None
            ),
            None,
        )
        if done is None:
            return
        message_id, text, data = done
        await self.step(
            app_id, role, person, Move(f"press:{data}", "press", text, message_id, data, about)
        )
        if needs == "plan" and await self.in_conversation(person):
            figures = Move("input:figures", "input", PLAN_FIGURES, about=about)
            await self.step(app_id, role, person, figures)

    def actor(self, app_id: int, role: str) -> Customer:
        if role == "customer":
            return self.world.people[self.world.applications[app_id]]
        if role == "disabled":
            return self.world.people[DISABLED]
        if role == "stranger":
            return self.world.person(STRANGER, "路人")
        return self.world.people[STAFF_IDS[role]]

    # -- what can be done next -----------------------------------------------------------

    async def moves(self, app_id: int, role: str, person: Customer, number: str) -> list[Move]:
        moves: list[Move] = []
        with_buttons = [m for m in person.user.messages() if m.inline_buttons]
        if with_buttons:
            newest = with_buttons[-1]
            for b in newest.inline_buttons:
                if b.callback_data and not self._spared(b.callback_data):
                    moves.append(
                        Move(
                            f"press:{shape(b.callback_data)}",
                            "press",
                            b.text,
                            newest.message_id,
                            b.callback_data,
                        )
                    )
            older = [
                (m.message_id, b.text, b.callback_data)
                for m in with_buttons[:-1]
                for b in m.inline_buttons
                if b.callback_data and not self._spared(b.callback_data)
            ]
            for message_id, text, data in self.rng.sample(older, min(STALE_SAMPLE, len(older))):
                moves.append(Move(f"stale:{shape(data)}", "stale", text, message_id, data))
        for command in self.menu(person):
            moves.append(Move(f"cmd:/{command}", "command", command_line(command, number)))
        moves.append(Move("text", "text", FREE_TEXT))
        moves.append(Move("file", "file"))
        moves.append(Move("photo", "photo"))
        # An admin may disable members: forged confirmations are for everyone else.
        forged = [d for d in await self.forged(app_id) if role != "admin" or not self._spared(d)]
        for data in self.rng.sample(forged, min(FORGED_SAMPLE, len(forged))):
            last = person.user.last_message()
            moves.append(
                Move(f"forged:{shape(data)}", "forged", "", last.message_id if last else 0, data)
            )
        pending = await self.world.svc.workflow.pending(person.user.id)
        if pending is not None and pending.action in ACTIONS:
            typed = await self.valid_input(pending.action)
            moves.append(
                Move(f"input:{pending.action}", "input", typed, about=pending.application_id)
            )
        return moves

    @staticmethod
    def _spared(data: str) -> bool:
        press = decode_as(data, MemberPress)
        return press is not None and press.action is MemberAction.DISABLE

    def menu(self, person: Customer) -> list[str]:
        """The commands the user's client shows: the chat's own menu, or the language's."""
        emulator = self.world.emulator
        own = emulator.commands({"type": "chat", "chat_id": person.user.id})
        if own is None:
            own = emulator.commands({"type": "all_private_chats"}, "zh") or emulator.commands(
                {"type": "all_private_chats"}
            )
        return [c["command"] for c in own or []]

    async def forged(self, app_id: int) -> list[str]:
        """Callback data nobody was shown: other versions, actions, applications, slots."""
        app = await self.world.svc.applications.get(app_id)
        assert app is not None
        every = frozenset(Actor)
        actions = available(Step(app.step), every)
        data = [StageActionPress(a.name, app.id, app.version + 1).encode() for a in actions]
        data += [StageActionPress(a.name, app.id, app.version).encode() for a in actions]
        data += [
            StageActionPress(Act.ENERGIZED, app.id, app.version).encode(),
            StageActionPress(Act.PICK_SLOT, app.id, app.version, 999999).encode(),
            "1:wf:nonsense:1:1:",
            "wf:accept:1:1",
            EarlyEnergizedPress(Early.YES, app.id, app.version).encode(),
            OpenCardPress(app.id).encode(),
            OpenCardPress(999999).encode(),
            f"card:{app.id}",
            DocumentsPress(app.id).encode(),
            ManagePress(HolderChange.ATTACH_PROJECT, app.id, app.version).encode(),
            ManagePress(HolderChange.REASSIGN, app.id, app.version).encode(),
            HandOverPress(app.id, app.version, HeldAs.CUSTOMER_MANAGER, MANAGER).encode(),
            SendOwed(app.id, OwedDocument.SITE_PROOF).encode(),
            ContactPress(app.id).encode(),
            ReplyPress(999999).encode(),
            SummaryPress(SummaryAction.SUBMIT, "0").encode(),
            ChoicePress("district", 99).encode(),
            LanguagePress("xx", "zh_CN").encode(),
            MemberPress(MemberAction.DISABLE, MANAGER).encode(),
            KeepPress().encode(),
            SurveyAnswer(1, Question.OVERALL, 5).encode(),
            "lang:en",  # the forms of before the presses were typed: stale now
            "ap:submit",
            "wfdone",
            "x" * 64,
        ]
        data += [d for d in forged_of_every_kind() if d not in data]
        return data

    async def valid_input(self, action: str) -> str:
        """What a careful user would type for the input the bot is waiting for."""
        svc = self.world.svc
        day = today(svc.clock)
        needs = ACTIONS[action].needs.value
        if needs == "slots":
            first = svc.calendar.next_workday(day + timedelta(days=1))
            second = svc.calendar.next_workday(first + timedelta(days=1))
            return f"{first.isoformat()} 09:00\n{second.isoformat()} 14:30"
        if needs == "date":
            return svc.calendar.next_workday(day + timedelta(days=2)).isoformat()
        return "电缆沟需防水封堵"

    # -- one step and its checks ---------------------------------------------------------

    async def step(self, app_id: int, role: str, person: Customer, move: Move) -> int:
        """Do ``move`` and check what followed; returns the chat's mark from before it."""
        state = await self.state_of(move.concerns(app_id))
        self.triples[(state, role, move.label)] += 1
        where = f"[{state} | {role} | {move.label}]"
        before = await self.snapshot()
        allowed = await self.offered(person, move)
        mark = self.trap.records.__len__()
        person.user.mark()
        sent, query_id = await self.do(person, move)
        if not await self.handled.wait(sent.update_id, WAIT):
            self.failures.append(f"{where} the bot did not finish handling it within {WAIT}s")
            return sent.mark
        await wait_outbox(self.world, WAIT)
        await self.world.emulator.wait_idle(quiet=0.02, timeout=WAIT)
        if not self.answered(person, sent.mark, query_id):
            held = await self.world.svc.db.fetchall("SELECT name, key, state FROM conversations")
            pending = await self.world.svc.workflow.pending(person.user.id)
            self.failures.append(
                f"{where} no visible answer (no message, edit or toast); "
                f"the chat before it: {self.transcript(person, 12)}; conversations: "
                f"{[tuple(r) for r in held if json.loads(r[1])[0] == person.user.id]}, "
                f"pending input: {pending and pending.action}"
            )
        errors = self.trap.since(mark)
        if errors:
            self.failures.append(f"{where} the bot logged an error: {' // '.join(errors)}")
        after = await self.snapshot()
        for problem in changes_not_offered(before, after, allowed):
            self.failures.append(f"{where} {problem}")
        if move.label != "cmd:/help" and await self.in_conversation(person):
            await self.still_answers(person, where)
        return sent.mark

    async def do(self, person: Customer, move: Move) -> tuple[Sent, str | None]:
        user = person.user
        if move.kind in ("command", "text", "input"):
            return await user.send_text(move.text), None
        if move.kind == "file":
            return await user.send_document("notes.pdf", PDF, "application/pdf"), None
        if move.kind == "photo":
            return await user.send_photo(PNG), None
        press = await user.press_raw(move.message_id, move.data)
        return Sent(press.update_id, move.message_id, press.mark), press.query_id

    def answered(self, person: Customer, mark: int, query_id: str | None) -> bool:
        state = self.world.emulator.state
        if query_id is not None and state.callbacks[query_id].answer is not None:
            return True
        chat = state.chats.get(person.user.id)
        return chat is not None and any(e.message.from_bot for e in chat.events_after(mark))

    def transcript(self, person: Customer, last: int = 6) -> list[str]:
        """The end of the chat, both sides, for a failure's report."""
        chat = self.world.emulator.state.chats[person.user.id]
        messages = sorted(chat.messages.values(), key=lambda m: m.message_id)[-last:]
        return [
            f"{'bot' if m.from_bot else 'user'}: {(m.text or m.caption or '[file]')[:50]}"
            f"{' ' + str([b.callback_data for b in m.inline_buttons]) if m.inline_buttons else ''}"
            for m in messages
        ]

    async def in_conversation(self, person: Customer) -> bool:
        """Whether a conversation (form, input, survey…) holds the user's next message."""
        rows = await self.world.svc.db.fetchall("SELECT key FROM conversations")
        return any(json.loads(r[0])[0] == person.user.id for r in rows)

    async def still_answers(self, person: Customer, where: str) -> None:
        """A command right after must be answered: the user is not stuck in a flow."""
        mark = self.trap.records.__len__()
        person.user.mark()
        sent = await person.user.send_text("/help")
        if not await self.handled.wait(sent.update_id, WAIT):
            self.failures.append(f"{where} then /help was not handled within {WAIT}s")
            return
        # A flow that steps aside hands the command back to the bot's queue, so the answer
        # may come from a second pass after the first is recorded as handled: wait for it.
        try:
            await person.user.wait_for(after=sent.mark, timeout=WAIT)
        except WaitTimeout:
            self.failures.append(f"{where} then /help got no answer: stuck")
        errors = self.trap.since(mark)
        if errors:
            self.failures.append(f"{where} then /help logged an error: {' // '.join(errors)}")

    # -- what a step may change ----------------------------------------------------------

    async def offered(self, person: Customer, move: Move) -> set[tuple[int | None, str]]:
        """(application, event kind) pairs the step may bring about; None: a new one."""
        svc = self.world.svc
        if decode_as(move.data, FilesDone) is not None:
            # The same data on every "all files sent" button: it finishes what is pending.
            return await self._pending_offer(person)
        if move.kind in ("press", "stale", "forged"):
            # Forged data that some message of this chat does show is that button pressed.
            messages = (
                [self._message(person, move.message_id)]
                if move.kind != "forged"
                else person.user.messages()
            )
            if not any(b.callback_data == move.data for m in messages for b in m.inline_buttons):
                return set()
            data = move.data
            stage = decode_as(data, StageActionPress)
            if stage is not None:
                app = await svc.applications.get(stage.application_id)
                if app is not None and app.version == stage.version:
                    return {(app.id, stage.action.value)}
                return set()
            early = decode_as(data, EarlyEnergizedPress)
            if early is not None and early.answer is Early.YES:
                # "energized" confirmed before the scheduled day
                app = await svc.applications.get(early.application_id)
                if app is not None and app.version == early.version:
                    return {(app.id, "energized")}
                return set()
            holders = decode_as(data, ManagePress) or decode_as(data, HandOverPress)
            if holders is not None:
                changes = ("project_attached", "reassigned")
                return {(holders.application_id, k) for k in changes}
            summary = decode_as(data, SummaryPress)
            if summary is not None and summary.action is SummaryAction.SUBMIT:
                return {(None, "submitted"), (None, "assigned"), (None, "project_attached")}
            return set()
        if move.kind in ("text", "file", "photo", "input"):
            return await self._pending_offer(person)
        return set()

    async def _pending_offer(self, person: Customer) -> set[tuple[int | None, str]]:
        svc = self.world.svc
        pending = await svc.workflow.pending(person.user.id)
        if pending is None:
            return set()
        app = await svc.applications.get(pending.application_id)
        if pending.action not in ACTIONS:
            return {(pending.application_id, "owed_document_supplied")}
        if app is None or app.version != pending.version:
            return set()
        return {(app.id, pending.action)}

    def _message(self, person: Customer, message_id: int) -> SentMessage:
        chat = self.world.emulator.state.chats[person.user.id]
        found = chat.find(message_id)
        assert found is not None, message_id
        return found

    async def snapshot(self) -> Snapshot:
        db = self.world.svc.db
        apps = await db.fetchall(
            "SELECT id, step, status, version, customer_manager_id, project_manager_id "
            "FROM applications"
        )
        events = await db.fetchall("SELECT id, application_id, kind FROM events ORDER BY id")
        owed = await db.fetchall("SELECT id, application_id, kind, resolved_at FROM owed_items")
        staff = await db.fetchall("SELECT user_id, role, active FROM staff")
        return Snapshot(
            applications={r[0]: tuple(r) for r in apps},
            events=[(r[1], r[2]) for r in events],
            owed={r[0]: tuple(r) for r in owed},
            staff={r[0]: tuple(r) for r in staff},
        )

    async def state_of(self, app_id: int) -> str:
        """The application's step, and what is special about it now."""
        svc = self.world.svc
        app = await svc.applications.get(app_id)
        if app is None:
            return "no_such_application"
        flags = []
        if clock_paused(Step(app.step)):
            flags.append("paused")
        owed = await svc.applications.owed_items(app.id)
        if any(o.kind.startswith("document:") for o in owed):
            flags.append("owed")
        if app.customer_manager_id is None:
            flags.append("unassigned")
        if app.project_manager_id is not None:
            flags.append("pm")
        if app.customer_id in self.world.blocked:
            flags.append("blocked")
        return "+".join([app.step, *flags])

    async def number(self, app_id: int) -> str:
        app = await self.world.svc.applications.get(app_id)
        assert app is not None
        return app.number


# Those who only look go first, so they see the state as it was seeded; then the holders.
ROLE_ORDER = ("stranger", "disabled", "customer", "project", "manager", "supervisor", "admin")


def target_of(data: str) -> int | None:
    """The application a button names, if it names one that exists in the data's shape."""
    named = getattr(decode(data), "application_id", None)
    return named if isinstance(named, int) else None


def forged_of_every_kind() -> list[str]:
    """One press of every kind the bot knows (:func:`press_kinds`), naming nothing that
    exists: no application, member or version anyone was shown."""
    forged = []
    for kind in press_kinds().values():
        hints = get_type_hints(kind)
        values = {f.name: _nothing_shown(hints[f.name]) for f in dataclasses.fields(kind)}
        forged.append(kind(**values).encode())
    return forged


def _nothing_shown(hint: Any) -> Any:
    """A value of a press field's type that no button carries."""
    if get_origin(hint) in (Union, types.UnionType):
        return None
    if hint is int:
        return 999999
    if hint is str:
        return "zz"
    assert isinstance(hint, type) and issubclass(hint, StrEnum), hint
    return list(hint)[-1]


def shape(data: str) -> str:
    """Callback data with its ids and versions blanked: one label per kind of button."""
    return re.sub(r"\d+", "#", data)[:40]


def command_line(command: str, number: str) -> str:
    """A command as a user would type it, with the argument it wants."""
    argument = {"app": number, "status": number, "find": "工程", "join": "ABCD-EFGH-JK"}
    return f"/{command} {argument[command]}" if command in argument else f"/{command}"


def changes_not_offered(
    before: Snapshot, after: Snapshot, allowed: set[tuple[int | None, str]]
) -> list[str]:
    """What changed that ``allowed`` does not explain, said in a line each."""
    problems: list[str] = []
    new_events = [e for e in after.events[len(before.events) :] if e[1] in STATE_EVENTS]
    new_apps = set(after.applications) - set(before.applications)
    for app_id, kind in new_events:
        wanted = (None, kind) if app_id in new_apps else (app_id, kind)
        if wanted not in allowed:
            problems.append(f"changed application {app_id} by {kind!r}, which was not offered")
    explained = {a for a, _ in new_events}
    for app_id, row in after.applications.items():
        if app_id in new_apps:
            if not any(a is None for a, _ in allowed):
                problems.append(f"created application {app_id}, which was not offered")
            continue
        if before.applications.get(app_id) != row and app_id not in explained:
            problems.append(
                f"application {app_id} changed without an event: "
                f"{before.applications.get(app_id)} -> {row}"
            )
    for owed_id, row in after.owed.items():
        if before.owed.get(owed_id) != row and row[1] not in explained:
            problems.append(f"owed item {row[2]!r} of application {row[1]} changed unasked")
    if before.staff != after.staff:
        problems.append(f"staff changed: {before.staff} -> {after.staff}")
    return problems


def summary(triples: Counter[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "distinct_triples": len(triples),
        "actions": sum(triples.values()),
        "states": len({s for s, _, _ in triples}),
        "roles": sorted({r for _, r, _ in triples}),
    }


def lines(triples: Sequence[tuple[str, str, str]]) -> list[str]:
    return [" | ".join(t) for t in sorted(triples)]
