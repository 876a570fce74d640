"""The sender's pacing rules, on a clock the tests move by hand."""

from __future__ import annotations

import pytest

from notifications.pacing import Pacer


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def pacer(ticks: Ticks, **changes: float) -> Pacer:
    options: dict[str, float] = {
        "global_per_second": 30,
        "per_chat_interval": 1.0,
        "per_group_interval": 3.0,
    }
    options.update(changes)
    return Pacer(clock=ticks, **options)  # type: ignore[arg-type]


def test_a_private_chat_gets_one_message_per_interval_and_others_are_free() -> None:
    ticks = Ticks()
    p = pacer(ticks)
    p.record_send(1)
    assert p.chat_wait(1) == pytest.approx(1.0)
    assert p.chat_wait(2) == 0.0
    ticks.now += 0.4
    assert p.chat_wait(1) == pytest.approx(0.6)
    ticks.now += 0.6
    assert p.chat_wait(1) == 0.0


def test_a_group_waits_longer_than_a_private_chat() -> None:
    ticks = Ticks()
    p = pacer(ticks)
    p.record_send(-100123)
    assert p.chat_wait(-100123) == pytest.approx(3.0)


def test_the_overall_window_is_a_little_longer_than_a_second() -> None:
    ticks = Ticks()
    p = pacer(ticks)
    for chat in range(30):
        assert p.global_wait() == 0.0
        p.record_send(chat)
        ticks.now += 0.01
    # The 31st must wait until the first of the 30 is 1.01 s old, not just 1 s.
    assert p.global_wait() == pytest.approx(1.01 - 0.30)
    ticks.now = 100.0 + 1.0
    assert p.global_wait() > 0
    ticks.now = 100.0 + 1.01
    assert p.global_wait() == 0.0


def test_a_message_counts_from_its_answer_so_a_slow_call_cannot_bunch_the_next_second() -> None:
    # Telegram may receive a call at any moment until its answer is back: the 31st message
    # waits until the 1st's answer is a second old, however late that answer came.
    ticks = Ticks()
    p = pacer(ticks)
    first = p.record_send(0)
    ticks.now += 0.25  # a slow round trip
    p.record_answered(0, first)
    assert p.chat_wait(0) == pytest.approx(1.0)
    for chat in range(1, 30):
        p.record_answered(chat, p.record_send(chat))
    ticks.now = 100.0 + 1.0  # a second after the 1st was sent, not after it was answered
    assert p.global_wait() == pytest.approx(0.26)
    ticks.now = 100.0 + 1.26
    assert p.global_wait() == 0.0


def test_one_429_pauses_only_its_chat() -> None:
    ticks = Ticks()
    p = pacer(ticks)
    p.record_flood(7, 5)
    assert p.chat_wait(7) == pytest.approx(5.0)
    assert p.chat_wait(8) == 0.0
    assert p.global_wait() == 0.0


def test_429s_for_two_chats_at_once_pause_everything() -> None:
    ticks = Ticks()
    p = pacer(ticks)
    p.record_flood(7, 5)
    ticks.now += 1
    p.record_flood(8, 3)
    assert p.global_wait() == pytest.approx(3.0)
    assert p.chat_wait(7) == pytest.approx(4.0)


def test_429s_far_apart_stay_per_chat() -> None:
    ticks = Ticks()
    p = pacer(ticks)
    p.record_flood(7, 1)
    ticks.now += 2
    p.record_flood(8, 1)
    assert p.global_wait() == 0.0


def test_thousands_of_chats_are_paced_each_as_long_as_they_must_wait() -> None:
    ticks = Ticks()
    p = pacer(ticks, global_per_second=100_000)
    for chat in range(1, 1500):
        p.record_send(chat)
    p.record_flood(-5, 30)
    ticks.now += 2  # every chat may have its next message, the flooded group not yet
    p.record_send(5000)  # the long-idle chats are forgotten here
    assert p.chat_wait(1) == 0.0 and p.chat_wait(1499) == 0.0
    assert p.chat_wait(5000) == pytest.approx(1.0)
    assert p.chat_wait(-5) == pytest.approx(28.0)


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        pacer(Ticks(), global_per_second=0)
    with pytest.raises(ValueError):
        pacer(Ticks(), per_chat_interval=-1)


def test_calls_in_flight_together_are_each_counted_from_their_own_answer() -> None:
    # The outbox and a reply may be in flight at once and answered in either order: the one
    # answered last must not leave the window from its send.
    ticks = Ticks()
    p = pacer(ticks)
    slow = p.record_send(1)
    quick = p.record_send(2)
    ticks.now += 0.05
    p.record_answered(2, quick)
    ticks.now += 0.45  # the slow call's answer comes back half a second after it was sent
    p.record_answered(1, slow)
    for chat in range(3, 31):
        p.record_answered(chat, p.record_send(chat))
    ticks.now = 100.0 + 1.02  # both were sent more than a window ago, but the slow one
    assert p.global_wait() > 0  # was answered only 0.52 s ago
    ticks.now = 100.0 + 0.5 + 1.01
    assert p.global_wait() == 0.0
