"""The outbox sender against the Bot API emulator over HTTP, with Telegram's limits on."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from process.clock import ManualClock
from sandbox import RateLimits
from storage.outbox import OutboxStatus
from tests.notifications.test_sender_rig import START, WAIT_CEILING, rig

TELEGRAM_LIMITS = RateLimits()  # 30 a second overall, a burst of 3 then 1 a second per chat


async def test_200_messages_to_20_chats_arrive_once_each_in_order_without_a_429(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, limits=TELEGRAM_LIMITS) as r:
        users = await r.users(20)
        expected: dict[int, list[str]] = {u.id: [] for u in users}
        for n in range(10):
            for user in users:
                text = f"通知 {user.id}-{n}"
                await r.enqueue(user.id, f"k:{user.id}:{n}", text)
                expected[user.id].append(text)
        r.emulator.stats.reset()
        started = time.monotonic()
        await r.sender().start()

        counts = await r.settled()

        assert counts["sent"] == 200
        assert {u.id: r.received(u.id) for u in users} == expected
        assert r.emulator.stats.messages_sent == 200
        assert r.emulator.stats.too_many_requests == 0
        # Ten messages to one chat at one a second take nine seconds at least.
        assert time.monotonic() - started >= 9.0
        sent = await r.repo.list(OutboxStatus.SENT, 200)
        # Each row records the id of the very message the user got.
        shown = {u.id: {m.message_id: m.text for m in r.emulator.messages(u.id)} for u in users}
        assert all(shown[row.chat_id][row.telegram_message_id or 0] == row.text for row in sent)
        assert all(row.sent_at is not None and row.attempts == 0 for row in sent)


async def test_a_busy_chat_does_not_hold_up_the_others(tmp_path: Path) -> None:
    async with rig(tmp_path, limits=TELEGRAM_LIMITS) as r:
        busy, *others = await r.users(11)
        for n in range(20):
            await r.enqueue(busy.id, f"busy:{n}")
        for user in others:
            await r.enqueue(user.id, f"other:{user.id}")
        await r.sender().start()

        await r.until(lambda c: c["sent"] >= 11)

        # Every other chat got its one message while the busy chat was at its second.
        assert all(r.received(u.id) == [f"other:{u.id}"] for u in others)
        assert len(r.received(busy.id)) <= 2
        assert r.emulator.stats.too_many_requests == 0


async def test_the_overall_rate_stays_within_thirty_a_second(tmp_path: Path) -> None:
    async with rig(tmp_path, limits=TELEGRAM_LIMITS) as r:
        users = await r.users(45)
        for user in users:
            await r.enqueue(user.id, f"one:{user.id}")
        started = time.monotonic()
        await r.sender().start()

        await r.settled()

        assert r.emulator.stats.messages_sent == 45
        assert r.emulator.stats.too_many_requests == 0
        # 30 in the first window, the other 15 only once it has passed.
        assert time.monotonic() - started >= 1.0


async def test_a_message_held_back_goes_out_when_the_clock_reaches_it(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with rig(tmp_path, clock=clock) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "morning", "早上好", not_before=START + timedelta(hours=11))
        await r.enqueue(user.id, "now", "现在")
        # Its next poll is an hour away: only the wake can send it within the wait.
        sender = r.sender(poll_interval=3600, per_chat_interval=0)
        await sender.start()

        await r.until(lambda c: c["sent"] == 1)
        await asyncio.sleep(0.2)
        assert r.received(user.id) == ["现在"]

        clock.advance(timedelta(hours=11))
        sender.wake()
        await r.settled()
        assert r.received(user.id) == ["现在", "早上好"]


async def test_wake_sends_at_once_without_waiting_for_the_poll(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        sender = r.sender(poll_interval=3600)  # only the wake sends within the wait
        await sender.start()
        await asyncio.sleep(0.1)  # the sender is now asleep until its next poll

        await r.enqueue(user.id, "prompt", "请确认")
        sender.wake()

        await r.settled()
        assert r.received(user.id) == ["请确认"]


async def test_buttons_documents_and_photos_go_out_as_stored(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        uploaded = await r.bot.send_document(user.id, b"%PDF-1.4 plan", filename="plan.pdf")
        photo = await r.bot.send_photo(user.id, _PNG)
        assert uploaded.document is not None
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("确认方案", callback_data="ok:1")]])
        await r.enqueue(user.id, "text", "<b>方案</b>已出", reply_markup=markup.to_dict())
        await r.enqueue(
            user.id, "doc", "供电方案 <i>附件</i>", document_file_id=uploaded.document.file_id
        )
        await r.enqueue(user.id, "photo", "现场照片", photo_file_id=photo.photo[-1].file_id)
        await r.sender(per_chat_interval=0).start()

        await r.settled()

        text, document, picture = r.emulator.messages(user.id)[2:]
        assert (text.html, text.buttons, text.button_data) == (
            "<b>方案</b>已出",
            ["确认方案"],
            ["ok:1"],
        )
        assert document.caption_html == "供电方案 <i>附件</i>"
        assert document.document is not None
        assert document.document["file_id"] == uploaded.document.file_id
        assert picture.caption == "现场照片" and picture.photo is not None


async def test_stop_lets_the_message_in_flight_finish_and_be_recorded(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "slow", "慢")
        gate = asyncio.Event()

        async def slowly(_: int) -> None:
            gate.set()
            await asyncio.sleep(0.3)

        r.bot.hook(before=slowly)
        sender = r.sender()
        await sender.start()
        await asyncio.wait_for(gate.wait(), WAIT_CEILING)

        await sender.stop()

        row = await r.repo.by_key("slow")
        assert row is not None and row.status == OutboxStatus.SENT
        assert r.received(user.id) == ["慢"]
        assert not sender.running


# A 1x1 PNG, enough for Telegram (and the emulator) to take it as a photo.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
