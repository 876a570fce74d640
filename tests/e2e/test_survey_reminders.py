"""Surveys nobody answers: reminded after 3 and 7 working days, closed after 14. A low
overall score alerts the supervisor and the customer manager, who record the call-back."""

from __future__ import annotations

from datetime import datetime

from notifications.buttons import CalledBack, SurveyAnswer
from process.metrics import Question
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.users import FakeUser
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import customer_with_chat, energized, run_sweep


def survey_texts(user: FakeUser) -> list[str]:
    return [m.text or "" for m in user.messages() if "满意度调查" in (m.text or "")]


async def sent_at(bot: BotRunner, key: str) -> tuple[str, str]:
    """When the message was queued, and when it may go out."""
    [row] = await bot.query("SELECT created_at, not_before FROM outbox WHERE key = ?", (key,))
    return row["created_at"], row["not_before"]


async def answer_low(customer: Customer, overall: str) -> None:
    invitation = await customer.user.wait_for(lambda m: "满意度调查" in (m.text or ""))
    await customer.press(invitation, overall)


async def test_reminders_at_three_and_seven_working_days_then_closed_at_fourteen(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = await customer_with_chat(emulator, 1001, "张伟")
    mine = await energized(bot, alice, manager_id=None)  # Friday 27 Nov 2026, 10:00
    await run_sweep(bot, shanghai(2026, 11, 30, 10, 0))  # invited Monday 30 Nov, 10:00
    invitation = await alice.user.wait_for(lambda m: "满意度调查" in (m.text or ""))

    timeline: list[tuple[datetime, int]] = [
        (shanghai(2026, 12, 3, 9, 59), 0),
        (shanghai(2026, 12, 3, 10, 0), 1),  # Thursday: 3 working days
        (shanghai(2026, 12, 3, 16, 0), 0),
        (shanghai(2026, 12, 9, 9, 59), 0),
        (shanghai(2026, 12, 9, 10, 0), 1),  # Wednesday after: 7 working days
        (shanghai(2026, 12, 17, 18, 0), 0),
        (shanghai(2026, 12, 18, 9, 59), 0),
        (shanghai(2026, 12, 18, 10, 0), 1),  # Friday 18 Dec: 14 working days, closed
        (shanghai(2026, 12, 28, 10, 0), 0),
    ]
    for moment, expected in timeline:
        assert await run_sweep(bot, moment) == expected, moment
        assert await run_sweep(bot, moment) == 0  # running twice sends nothing twice
    # The outbox paces a chat to one message a second; both reminders arrive, in order.
    first = (await alice.user.wait_for(lambda m: "还没有填写" in (m.text or ""))).text or ""
    second = (await alice.user.wait_for(lambda m: "还没有填写" in (m.text or ""))).text or ""
    await alice.user.wait_idle(quiet=0.3)
    assert len(survey_texts(alice.user)) == 3
    assert "还没有填写" in first and "1/6" in first and "2026年12月18日" in first
    assert "还没有填写" in second and "1/6" in second
    thursday, wednesday = "2026-12-03T02:00:00+00:00", "2026-12-09T02:00:00+00:00"
    assert await sent_at(bot, f"survey:remind:{mine.id}:1") == (thursday, thursday)
    assert await sent_at(bot, f"survey:remind:{mine.id}:2") == (wednesday, wednesday)
    [row] = await bot.query(
        "SELECT invited_at, reminders_sent, closed_at, submitted_at FROM survey_responses"
    )
    assert tuple(row) == ("2026-11-30T02:00:00+00:00", 2, "2026-12-18T02:00:00+00:00", None)

    # A closed survey says so, from the invitation's buttons and from /survey.
    closed = await alice.press_stale(
        invitation.message_id, SurveyAnswer(mine.id, Question.OVERALL, 5).encode()
    )
    assert closed.text is not None and "已关闭" in closed.text
    assert "已于 2026-12-18 10:00 关闭" in (alice.user.last_message().text or "")  # type: ignore[union-attr]
    assert "已于 2026-12-18 10:00 关闭" in ((await alice.say("/survey")).text or "")
    [row] = await bot.query("SELECT overall FROM survey_responses")
    assert row["overall"] is None


async def test_an_invitation_waits_for_the_next_working_morning(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = await customer_with_chat(emulator, 1001, "张伟")
    bot.clock.set(shanghai(2026, 11, 27, 21, 30))  # Friday evening
    mine = await energized(bot, alice, manager_id=None)
    # Monday 21:30 is one working day later, but after hours: Tuesday 08:00 it is.
    assert await run_sweep(bot, shanghai(2026, 11, 30, 21, 30)) == 0
    assert await run_sweep(bot, shanghai(2026, 12, 1, 7, 59)) == 0
    assert await run_sweep(bot, shanghai(2026, 12, 1, 8, 0)) == 1
    await alice.user.wait_for(lambda m: mine.number in (m.text or ""))
    # A sweep that runs late at night (the bot was down) queues it for the next morning.
    bob = await customer_with_chat(emulator, 1002, "李强")
    bot.clock.set(shanghai(2026, 12, 1, 9, 0))
    theirs = await energized(bot, bob, manager_id=None)
    assert await run_sweep(bot, shanghai(2026, 12, 2, 22, 15)) == 1
    created, not_before = await sent_at(bot, f"survey:invite:{theirs.id}")
    assert (created, not_before) == ("2026-12-02T14:15:00+00:00", "2026-12-03T00:00:00+00:00")
    await bob.user.wait_idle(quiet=0.3)
    assert survey_texts(bob.user) == []
    bot.clock.set(shanghai(2026, 12, 3, 8, 0))
    await bob.user.wait_for(lambda m: theirs.number in (m.text or ""))


async def test_a_low_score_alerts_supervisor_and_manager_who_record_the_call_back(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    elsewhere = await enrol(emulator, bot, 2004, Role.SUPERVISOR, "周主管", district="南郑区")
    carol = await customer_with_chat(emulator, 1003, "赵敏")
    dave = await customer_with_chat(emulator, 1004, "钱进")
    low = await energized(bot, carol, manager_id=2001)
    abandoned = await energized(bot, dave, manager_id=2001, project="三期仓库")
    for member in (manager, supervisor, elsewhere):
        member.user.mark()
    await run_sweep(bot, shanghai(2026, 11, 30, 10, 0))

    await answer_low(carol, "1")
    for value in ("2", "2", "3", "0"):
        await carol.press(carol.user.last_message(), value)  # type: ignore[arg-type]
    thanks = await carol.say("装表等了三天，\n没人通知我们。")
    assert "电话联系" in (thanks.text or "")

    alerts = {}
    for member in (supervisor, manager):
        alert = await member.user.wait_for(lambda m: "满意度低分" in (m.text or ""))
        assert low.number in (alert.text or "")
        assert "装表等了三天" in (alert.text or "") and "总体满意度 1/5" in (alert.text or "")
        assert "13800138000" in (alert.text or "")  # whom to phone
        assert alert.buttons == ["✅ 已回访客户"]
        alerts[member.user.id] = alert
    # The supervisor of another district hears nothing; the customer is not told twice.
    await elsewhere.user.wait_idle(quiet=0.2)
    assert not any("满意度低分" in (m.text or "") for m in elsewhere.user.messages())
    [event] = await bot.query("SELECT kind, data FROM events WHERE kind = 'survey_alert'")
    assert event["data"] == '{"overall":1,"finished":true,"alerted":[2003,2001]}'

    # Only the people concerned can record the call-back, and only once.
    refused = await carol.press_stale(thanks.message_id, CalledBack(low.id).encode())
    assert refused.text is not None and "只有该申请的客户经理" in refused.text
    elsewhere_press = await elsewhere.press_stale(
        alerts[2003].message_id, CalledBack(low.id).encode()
    )
    assert elsewhere_press.text is not None and "只有" in elsewhere_press.text
    recorded = await manager.press(alerts[2001], "✅ 已回访客户")
    assert "已记录" in (recorded.text or "") and low.number in (recorded.text or "")
    already = await supervisor.press(alerts[2003], "✅ 已回访客户")
    assert "已由王经理" in (already.text or "")
    rows = await bot.query(
        "SELECT actor_id, actor_role FROM events WHERE kind = 'service_recovery'"
    )
    assert [tuple(r) for r in rows] == [(2001, "customer_manager")]

    # A low overall score left unfinished is alerted after an hour, not a minute before,
    # and again with the comment when the customer finishes after all.
    await answer_low(dave, "2")  # Monday 30 Nov, 10:00
    assert await run_sweep(bot, shanghai(2026, 11, 30, 10, 59)) == 0
    assert await run_sweep(bot, shanghai(2026, 11, 30, 11, 0)) == 1
    assert await run_sweep(bot, shanghai(2026, 11, 30, 11, 5)) == 0  # alerted once
    left = await supervisor.user.wait_for(
        lambda m: abandoned.number in (m.text or "") and "满意度低分" in (m.text or "")
    )
    assert "总体满意度 2/5" in (left.text or "") and "没有继续作答" in (left.text or "")
    assert "速度" not in (left.text or "")
    resumed = await dave.say("/survey")
    for value in ("1", "2", "2", "5"):
        resumed = await dave.press(resumed, value)
    await dave.say("等了很久")
    finished = await supervisor.user.wait_for(
        lambda m: abandoned.number in (m.text or "") and "等了很久" in (m.text or "")
    )
    assert "速度 1" in (finished.text or "")
    kinds = [
        (r["application_id"], r["kind"])
        for r in await bot.query(
            "SELECT application_id, kind FROM events WHERE kind LIKE 'survey%' "
            "OR kind = 'service_recovery' ORDER BY id"
        )
    ]
    assert kinds == [
        (low.id, "survey_alert"),
        (low.id, "service_recovery"),
        (abandoned.id, "survey_alert"),
        (abandoned.id, "survey_alert"),
    ]
