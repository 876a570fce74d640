"""The satisfaction survey in the chat: invited a working day after energization, answered
press by press with wrong inputs on the way, continued after a restart, submitted once."""

from __future__ import annotations

from notifications.buttons import SurveyAnswer
from process.metrics import Question
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import customer_with_chat, energized, run_sweep

SCORES = ["1", "2", "3", "4", "5"]


def text_of(message: SentMessage | None) -> str:
    assert message is not None
    return message.text or ""


async def _survey_row(bot: BotRunner, application_id: int) -> dict[str, object]:
    [row] = await bot.query(
        "SELECT overall, speed, service, informed, recommend, comment, started_at, "
        "submitted_at, closed_at FROM survey_responses WHERE application_id = ?",
        (application_id,),
    )
    return dict(row)


async def test_a_customer_answers_the_survey_with_wrong_inputs_on_the_way(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = await customer_with_chat(emulator, 1001, "张伟")
    bob = await customer_with_chat(emulator, 1002, "李强")
    mine = await energized(bot, alice, manager_id=2001)  # Friday 27 Nov 2026, 10:00
    theirs = await energized(bot, bob, manager_id=2001, project="三期仓库")

    # One working day later, not a minute before: Monday 30 November at 10:00.
    assert await run_sweep(bot, shanghai(2026, 11, 30, 9, 59)) == 0
    assert await run_sweep(bot, shanghai(2026, 11, 30, 10, 0)) == 2
    assert await run_sweep(bot) == 0  # invited once
    invitation = await alice.user.wait_for(lambda m: "满意度调查" in (m.text or ""))
    assert mine.number in text_of(invitation) and "二期厂房新建工程" in text_of(invitation)
    assert "1/6" in text_of(invitation) and "总体来说" in text_of(invitation)
    assert invitation.buttons == SCORES
    await bob.user.wait_for(lambda m: theirs.number in (m.text or ""))

    # A typed score instead of a button: told to use the buttons; nothing saved.
    again = await alice.say("5")
    assert "请点击下面的数字按钮作答" in text_of(again) and "1/6" in text_of(again)
    assert again.buttons == SCORES
    assert (await _survey_row(bot, mine.id))["overall"] is None

    speed = await alice.press(invitation, "4")
    assert "2/6" in text_of(speed) and "办电速度" in text_of(speed)
    assert invitation.message_id != speed.message_id
    row = await _survey_row(bot, mine.id)
    assert (row["overall"], row["started_at"]) == (4, "2026-11-30T02:00:00+00:00")

    # Text where a score is expected, inside the conversation.
    again = await alice.say("挺快的")
    assert "数字按钮" in text_of(again) and "2/6" in text_of(again)
    # The first question's button again (stale), another customer's survey, a forged one.
    stale = await alice.press_stale(
        invitation.message_id, SurveyAnswer(mine.id, Question.OVERALL, 1).encode()
    )
    assert stale.text is not None and "已经答过" in stale.text
    assert "2/6" in text_of(alice.user.last_message())  # shown the current question instead
    foreign = await alice.press_stale(
        speed.message_id, SurveyAnswer(theirs.id, Question.OVERALL, 1).encode()
    )
    assert foreign.text is not None and "不属于您的调查" in foreign.text
    forged = await alice.press_stale(
        speed.message_id, SurveyAnswer(mine.id, Question.SPEED, 9).encode()
    )
    assert forged.text is not None and "不属于您的调查" in forged.text
    blank = await alice.press_stale(
        speed.message_id, SurveyAnswer(mine.id, Question.SPEED, None).encode()
    )
    assert blank.text is not None and "不属于您的调查" in blank.text
    # Data no button of this release carries is answered as any expired button is.
    garbled = await alice.press_stale(speed.message_id, "1:sv:x:y")
    assert garbled.text is not None and "按钮已失效" in garbled.text
    row = await _survey_row(bot, mine.id)
    assert (row["overall"], row["speed"]) == (4, None)
    assert (await _survey_row(bot, theirs.id))["overall"] is None

    service = await alice.press(alice.user.last_message(), "3")  # type: ignore[arg-type]
    assert "3/6" in text_of(service) and "王经理" in text_of(service)
    informed = await alice.press(service, "5")
    assert "4/6" in text_of(informed)
    recommend = await alice.press(informed, "4")
    assert "5/6" in text_of(recommend) and recommend.buttons == [str(n) for n in range(11)]
    comment = await alice.press(recommend, "9")
    assert "6/6" in text_of(comment) and comment.buttons == ["跳过"]

    # The comment: a sticker, then text the bot cannot store, then a real comment.
    await alice.user.send_sticker()
    assert "请用文字输入" in text_of(await alice.settle())
    assert "控制字符 U+0007" in text_of(await alice.say("很好\x07👍"))
    thanks = await alice.say("客户经理很负责，\n送电当天就装好了表。")
    assert "感谢您的评价" in text_of(thanks) and mine.number in text_of(thanks)
    assert "电话联系" not in text_of(thanks)

    row = await _survey_row(bot, mine.id)
    assert (row["overall"], row["speed"], row["service"], row["informed"], row["recommend"]) == (
        4,
        3,
        5,
        4,
        9,
    )
    assert row["comment"] == "客户经理很负责，\n送电当天就装好了表。"
    assert row["submitted_at"] == "2026-11-30T02:00:00+00:00" and row["closed_at"] is None

    # Submitted once: the skip button, /survey and an old button all say so.
    skip = await alice.press_stale(
        comment.message_id, SurveyAnswer(mine.id, Question.COMMENT, None).encode()
    )
    assert skip.text is not None and "已经提交过" in skip.text
    assert "已经提交过了" in text_of(await alice.say("/survey"))
    assert (await _survey_row(bot, mine.id))["comment"] == "客户经理很负责，\n送电当天就装好了表。"
    assert await bot.query("SELECT * FROM events WHERE kind = 'survey_alert'") == []


async def test_stop_and_continue_later_also_after_a_restart(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = await customer_with_chat(emulator, 1001, "Alice", language="en")
    mine = await energized(bot, alice, manager_id=None)
    assert "no satisfaction survey" in text_of(await alice.say("/survey"))
    await run_sweep(bot, shanghai(2026, 11, 30, 10, 0))
    invitation = await alice.user.wait_for(lambda m: "Satisfaction survey" in (m.text or ""))
    speed = await alice.press(invitation, "5")
    assert "2/6" in text_of(speed)

    paused = await alice.say("/cancel")
    assert "paused" in text_of(paused)
    await bot.restart()
    resumed = await alice.say("/survey")
    assert "2/6" in text_of(resumed) and mine.number in text_of(resumed)
    service = await alice.press(resumed, "2")
    assert "3/6" in text_of(service) and "your customer manager?" in text_of(service)

    # Another command while a question waits: the survey steps aside, the command works,
    # and the next question is still there for /survey.
    status = await alice.say("/status")
    assert mine.number in text_of(status) and "3/6" not in text_of(status)
    await bot.restart()
    again = await alice.say("/survey")
    assert "3/6" in text_of(again)
    row = await _survey_row(bot, mine.id)
    assert (row["overall"], row["speed"], row["service"]) == (5, 2, None)

    informed = await alice.press(again, "4")
    recommend = await alice.press(informed, "3")
    comment = await alice.press(recommend, "10")
    thanks = await alice.press(comment, "Skip")
    assert "Thank you" in text_of(thanks)
    row = await _survey_row(bot, mine.id)
    assert (row["recommend"], row["comment"]) == (10, None)
    assert row["submitted_at"] is not None
