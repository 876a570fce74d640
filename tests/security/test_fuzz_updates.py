"""Property-based fuzzing of every conversation step and button with hostile and odd updates.

Random text (any unicode, control characters, huge), commands with odd arguments, files,
contacts of other people, edits, channel posts, group messages, kinds of update the bot does
not handle, and button presses with data that is real but someone else's, replayed, or
forged for other applications and versions. Whatever comes:

* nothing reaches the error handler with an exception from our code;
* every private message is answered, every button press is answered;
* an application moves only for its own customer, its holders or the overseers;
* no customer (nor a stranger) is ever shown another customer's data;
* the database stays consistent.

``HVCONNECT_LONG_TESTS=1`` runs many more examples.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.buttons import HandOverPress, HeldAs
from notifications.callback_data import press_kinds
from process.workflow import ACTIONS
from tests.security.fuzz_world import (
    ALICE,
    BOB,
    CUSTOMERS,
    PEOPLE,
    STRANGER,
    World,
    build_world,
)
from tests.security.offline import OfflineBot, offline_bot

LONG = os.environ.get("HVCONNECT_LONG_TESTS") == "1"
COMMANDS = (
    "/start",
    "/apply",
    "/status",
    "/contact",
    "/lang",
    "/help",
    "/cancel",
    "/queue",
    "/find",
    "/app",
    "/join",
    "/staff",
    "/stats",
    "/overdue",
    "/export",
    "/survey",
    "/nope",
)
ODD_TEXT = st.one_of(
    st.text(min_size=1, max_size=60),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Mn"]), min_size=1, max_size=20),
    st.sampled_from(["长" * 5000, "A" * 4097, "\u202e\u0000\ufeff", "<b>x</b>&amp;", "%s%d{}"]),
    st.builds(lambda c, arg: f"{c} {arg}", st.sampled_from(COMMANDS), st.text(max_size=30)),
    st.sampled_from(COMMANDS),
    st.sampled_from(["HV-2026-000001", "HV-2026-000002", "13711112222", "91350100M000100Y43"]),
)
ODD_IDS = ("1", "2", "3", "0", "99999999999", "9" * 25, "²", "١", "-1", "", "1.0", "１", "1e3")
DIGITS = st.sampled_from(ODD_IDS)
# Every kind of press the bot knows (its handlers are imported with the offline bot), some
# with their action filled in, and the untyped forms buttons had before: odd ids follow.
PREFIXES = (
    *sorted(f"1:{prefix}:" for prefix in press_kinds()),
    "1:wfe:yes:",
    "1:stm:dis:",
    "1:stm:off:",
    "1:apc:district:",
    "1:apdoc:next:business_licence:",
    "1:apdoc:later:",
    "1:apsum:submit:",
    "1:apsum:edit:",
    "1:lang:en:",
    "card:",
    "docs:",
    "lang:",
    "ap:",
    "ap:c:",
    "ap:next:",
)


@st.composite
def callback_data(draw: st.DrawFn) -> tuple[str, Any]:
    """("seen", i): replay the i-th button data the bot has shown anyone; ("wf", ...): a
    workflow press forged against the live version; ("raw", data): anything else."""
    kind = draw(st.sampled_from(["seen", "seen", "wf", "mg", "raw", "prefix"]))
    if kind == "seen":
        return "seen", draw(st.integers(min_value=0, max_value=10_000))
    if kind in ("wf", "mg"):
        action = draw(st.sampled_from(sorted(ACTIONS)))
        owner = draw(st.sampled_from(CUSTOMERS))
        offset = draw(st.sampled_from([0, 0, -1, 1]))
        return kind, (action, owner, offset, draw(st.sampled_from(["cm", "pm"])))
    if kind == "prefix":
        return "raw", draw(st.sampled_from(PREFIXES)) + draw(DIGITS) + draw(
            st.sampled_from(["", ":1", ":1:1", ":business_licence", ":x"])
        )
    return "raw", draw(st.text(max_size=64))


STEP = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(PEOPLE), ODD_TEXT),
    st.tuples(st.just("press"), st.sampled_from(PEOPLE), callback_data()),
    st.tuples(
        st.just("media"),
        st.sampled_from(PEOPLE),
        st.sampled_from(["photo", "document", "sticker", "contact", "location", "voice"]),
    ),
    st.tuples(st.just("edit"), st.sampled_from(PEOPLE), ODD_TEXT),
    st.tuples(st.just("group"), st.sampled_from(PEOPLE), ODD_TEXT),
    st.tuples(st.just("channel"), st.just(0), ODD_TEXT),
    st.tuples(st.just("other"), st.sampled_from(PEOPLE), st.sampled_from(["inline", "member"])),
)


def _media(kind: str, user_id: int) -> dict[str, Any]:
    file = {"file_id": f"F{user_id}", "file_unique_id": f"U{user_id}", "file_size": 2048}
    return {
        "photo": {"photo": [{**file, "width": 10, "height": 10}], "caption": "看图"},
        "document": {"document": {**file, "file_name": "a.pdf", "mime_type": "application/pdf"}},
        "sticker": {
            "sticker": {
                **file,
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        "contact": {
            "contact": {"phone_number": "+8613711112222", "first_name": "x", "user_id": ALICE}
        },
        "location": {"location": {"latitude": 33.07, "longitude": 107.03}},
        "voice": {"voice": {**file, "duration": 3}},
    }[kind]


def _seen_data(bot: OfflineBot) -> list[str]:
    seen: list[str] = []
    for call in bot.request.calls:
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                seen.extend(b["callback_data"] for b in row if "callback_data" in b)
    return seen


async def _data(bot: OfflineBot, world: World, spec: tuple[str, Any]) -> str:
    kind, value = spec
    if kind == "seen":
        seen = _seen_data(bot)
        return seen[value % len(seen)] if seen else "card:1"
    if kind in ("wf", "mg"):
        action, owner, offset, role = value
        app = await bot.svc.applications.get(world.applications[owner].id)
        assert app is not None
        version = app.version + offset
        if kind == "wf":
            return f"1:wf:{action}:{app.id}:{version}:"
        held_as = HeldAs(role)
        return HandOverPress(app.id, version, held_as, 2001 if offset else 2002).encode()
    return str(value)


async def _play(bot: OfflineBot, world: World, step: tuple[str, int, Any]) -> None:
    kind, actor, payload = step
    before_calls = len(bot.request.calls)
    versions = {c: (await bot.svc.applications.get(a.id)) for c, a in world.applications.items()}
    if kind == "text":
        await bot.feed(bot.message(actor, payload))
    elif kind == "edit":
        await bot.feed(bot.message(actor, payload, kind="edited_message"))
    elif kind == "media":
        await bot.feed(bot.message(actor, **_media(payload, actor)))
    elif kind == "group":
        group = {"id": -100123, "type": "supergroup", "title": "施工群"}
        await bot.feed(bot.message(actor, payload, chat=group))
    elif kind == "channel":
        channel = {"id": -100999, "type": "channel", "title": "公告"}
        update = bot.message(1, payload, chat=channel, kind="channel_post")
        update["channel_post"].pop("from")
        await bot.feed(update)
    elif kind == "other":
        who = {"id": actor, "is_bot": False, "first_name": "x"}
        if payload == "inline":
            await bot.feed({"inline_query": {"id": "iq", "from": who, "query": "HV", "offset": ""}})
        else:
            member = {"user": {"id": 123456, "is_bot": True, "first_name": "b"}, "status": "kicked"}
            await bot.feed(
                {
                    "my_chat_member": {
                        "chat": {"id": actor, "type": "private"},
                        "from": who,
                        "date": 1,
                        "old_chat_member": {**member, "status": "member"},
                        "new_chat_member": {**member, "until_date": 0},
                    }
                }
            )
    else:
        await bot.feed(bot.press(actor, await _data(bot, world, payload)))
    new_calls = bot.request.calls[before_calls:]

    assert bot.errors == [], f"{step!r} raised {bot.errors!r}"
    if kind in ("text", "edit", "media"):
        assert any(c.chat_id == actor and c.method.startswith("send") for c in new_calls), step
    if kind == "press":
        assert any(c.method == "answerCallbackQuery" for c in new_calls), step
    typed = payload if isinstance(payload, str) else ""  # echoing the user's words is no leak
    for call in new_calls:
        reader = call.chat_id
        if reader in (ALICE, BOB, STRANGER):
            others = [c for c in CUSTOMERS if c != reader]
            leaked = [
                s for c in others for s in world.secrets_of(c) if s in call.text and s not in typed
            ]
            assert leaked == [], f"{step!r} showed {reader} {leaked}"
    for customer, before in versions.items():
        after = await bot.svc.applications.get(world.applications[customer].id)
        assert before is not None and after is not None
        if after.version != before.version:
            assert world.may_change(actor, before), f"{step!r} changed {customer}'s application"
        assert after.customer_id == customer


def _consistent(path: str) -> None:
    conn = sqlite3.connect(path)
    try:
        assert [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        open_visits = conn.execute(
            "SELECT a.id, COUNT(v.id) FROM applications a LEFT JOIN stage_visits v "
            "ON v.application_id = a.id AND v.ended_at IS NULL WHERE a.status = 'active' "
            "GROUP BY a.id"
        ).fetchall()
        assert all(n == 1 for _, n in open_visits), open_visits
    finally:
        conn.close()


async def _run(script: list[tuple[str, int, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with offline_bot(Path(tmp) / "hv.db", admins=frozenset({9001})) as bot:
            world = await build_world(bot)
            assert bot.errors == []
            for step in script:
                await _play(bot, world, step)
            _consistent(bot.svc.db.path)


async def _every_prefix_with_odd_ids() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with offline_bot(Path(tmp) / "hv.db", admins=frozenset({9001})) as bot:
            world = await build_world(bot)
            for prefix in (
                *PREFIXES,
                "wf:accept:",
                "1:wf:accept:",
                "1:mgto:",
                "1:mg:reassign:",
                "1:mg:attach_pm:",
            ):
                for odd in ODD_IDS:
                    for actor in (ALICE, 2002):
                        await _play(bot, world, ("press", actor, ("raw", prefix + odd)))
            _consistent(bot.svc.db.path)


def test_every_button_prefix_with_odd_ids_is_answered_without_a_crash() -> None:
    asyncio.run(_every_prefix_with_odd_ids())


@settings(
    max_examples=300 if LONG else 25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(script=st.lists(STEP, min_size=5, max_size=30))
def test_hostile_and_odd_updates_change_nothing_they_should_not(
    script: list[tuple[str, int, Any]],
) -> None:
    asyncio.run(_run(script))
