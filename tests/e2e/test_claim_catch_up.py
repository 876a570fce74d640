"""What the customer of an application typed in for them (95598, the service hall) could not
be sent before they opened its link reaches them when they do: staff's replies written
meanwhile (and the member of staff is told they wait for the link), the survey of an
application completed before the claim, and the buttons of a step that waits for them.

Applications are filed and driven over the integration API's HTTP; people act in the
emulator's chats.
"""

from __future__ import annotations

import dataclasses

import pytest

from process.roles import Role
from process.workflow import Step
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from storage.workflow import transition
from tests.e2e.api_harness import Api
from tests.e2e.customer import Customer
from tests.e2e.harness import shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import run_sweep, svc_of
from tests.e2e.test_owed_documents import text_of
from tests.services.intake_samples import FORM

WRITER = "applications:read,applications:write"
SURVEY = "满意度调查"


async def _file(api: Api, key: str) -> tuple[str, int, str]:
    """The number, version and claim code of a new application typed in for a customer."""
    answer = await api.post(
        "/v1/applications", key, dataclasses.asdict(FORM), headers={"Idempotency-Key": "call-1"}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["number"], body["version"], str(body["claim_link"]).split("start=", 1)[1]


async def _act(api: Api, key: str, number: str, version: int, **fields: object) -> int:
    answer = await api.post(
        f"/v1/applications/{number}/actions", key, {"version": version, **fields}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["version"])


def _invitations(person: Customer) -> int:
    """The survey's invitations and reminders the customer has had (not its next questions)."""
    texts = [m.text or "" for m in person.user.messages()]
    return sum(SURVEY in t and ("已送电" in t or t.startswith("🔔")) for t in texts)


def _after(person: Customer, card: SentMessage) -> list[SentMessage]:
    return [m for m in person.user.messages() if m.message_id > card.message_id]


async def test_staff_write_before_the_claim_are_told_and_the_customer_reads_it_after(
    emulator: BotApiEmulator, api_client: Api
) -> None:
    bot = api_client.runner
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    key = await api_client.key("hotline", WRITER)
    number, _, code = await _file(api_client, key)
    alert = await manager.user.wait_for(
        lambda m: number in (m.text or "") and "新申请" in (m.text or "")
    )

    # The manager writes from the application's card before the customer has a chat: told
    # plainly, before and after writing, that it waits for the customer to open the link.
    card = await manager.press(alert, "打开申请")
    for text in ("请带营业执照原件到营业厅核对", "核对后即可安排现场勘查"):
        asked = await manager.press(card, "✉️ 联系客户")
        assert number in text_of(asked)
        assert "客户尚未打开" in text_of(asked) and "打开链接后会收到" in text_of(asked)
        held = await manager.say(text)
        assert "客户尚未打开" in text_of(held) and "打开链接后会收到这条消息" in text_of(held)
    await manager.press(card, "✉️ 联系客户")
    held = await manager.upload_pdf("checklist.pdf", caption="所需资料清单")
    assert "客户尚未打开" in text_of(held)
    assert await bot.query("SELECT id FROM outbox WHERE user_id < 0") == []

    # The customer opens the link: the card first, then each reply, in order, answerable.
    alice = Customer(emulator, emulator.user(1001, first_name="张伟", language_code="zh-hans"))
    card = await alice.say(f"/start {code}")
    card = next(m for m in alice.user.messages() if "办理环节" in (m.text or ""))
    second = await alice.user.wait_for(lambda m: "核对后即可安排现场勘查" in (m.text or ""))
    checklist = await alice.user.wait_for(lambda m: m.document is not None)
    replies = [m for m in _after(alice, card) if "王经理回复" in (m.text or m.caption or "")]
    assert [(m.text or m.caption or "").splitlines()[1] for m in replies] == [
        "请带营业执照原件到营业厅核对",
        "核对后即可安排现场勘查",
        "所需资料清单",
    ]
    assert replies[-1].message_id == checklist.message_id
    assert all("↩️ 回复" in m.buttons for m in replies)

    # Opening the link again shows the card again and repeats nothing.
    await alice.say(f"/start {code}")
    await emulator.wait_idle(quiet=0.3, timeout=60)
    assert [m.text for m in alice.user.messages()].count(second.text) == 1

    # The customer answers under the reply; the manager reads it, and writes back at once.
    await alice.press(second, "↩️ 回复")
    await alice.say("好的，明天上午过去")
    relayed = await manager.user.wait_for(lambda m: "明天上午过去" in (m.text or ""))
    await manager.press(relayed, "↩️ 回复")
    sent = await manager.say("明天见")
    assert "已发送给客户" in text_of(sent)
    await alice.user.wait_for(lambda m: "明天见" in (m.text or ""))


@pytest.mark.parametrize("swept", [True, False], ids=["swept-first", "claimed-first"])
async def test_an_application_completed_before_the_claim_is_surveyed_once_when_claimed(
    emulator: BotApiEmulator, api_client: Api, swept: bool
) -> None:
    bot = api_client.runner
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    key = await api_client.key("marketing", WRITER)
    number, version, code = await _file(api_client, key)
    await manager.user.wait_for(lambda m: number in (m.text or "") and "新申请" in (m.text or ""))
    version = await _act(api_client, key, number, version, action="accept")
    # The stages whose input is files (plan, design, contract) were done at the service hall,
    # outside the chat and the API: the application moves past them in one step here.
    svc = svc_of(bot)
    application = await svc.applications.get_by_number(number)
    assert application is not None and application.version == version
    async with svc.db.transaction() as conn:
        moved = await transition(
            conn,
            application_id=application.id,
            expected_version=version,
            action="sign_contract",
            target=Step.ENERGIZE_SCHEDULE,
            actor_id=2001,
            actor_role="customer_manager",
            now=bot.clock.now(),
            next_limit_days=5,
        )
    today = bot.clock.now().date().isoformat()
    version = await _act(
        api_client, key, number, moved.version, action="schedule_energization", day=today
    )
    await _act(api_client, key, number, version, action="energized", day=today)

    if swept:
        # A working day later the sweep invites the survey's customer, still a stand-in:
        # nothing is sent, and nobody could answer it.
        await run_sweep(bot, shanghai(2026, 11, 30, 10, 0))
        rows = await bot.query("SELECT customer_id FROM survey_responses")
        assert [r["customer_id"] < 0 for r in rows] == [True]

    alice = Customer(emulator, emulator.user(1001, first_name="张伟", language_code="zh-hans"))
    await alice.say(f"/start {code}")
    card = next(m for m in alice.user.messages() if "办理环节" in (m.text or ""))
    invite = await alice.user.wait_for(lambda m: SURVEY in (m.text or ""))
    assert invite.message_id > card.message_id and number in text_of(invite)
    assert "已送电" in text_of(invite)

    # Opening the link again offers nothing new, and the survey stays the customer's.
    await alice.say(f"/start {code}")
    await emulator.wait_idle(quiet=0.3, timeout=60)
    assert _invitations(alice) == 1

    question = invite
    for label in ("5", "4", "5", "5", "9"):
        question = await alice.press(question, label)
    thanks = await alice.press(question, "跳过")
    assert "感谢" in text_of(thanks)
    stored = await bot.query(
        "SELECT customer_id, overall, recommend, submitted_at FROM survey_responses"
    )
    assert [(r["customer_id"], r["overall"], r["recommend"]) for r in stored] == [(1001, 5, 9)]
    assert stored[0]["submitted_at"] is not None
    # Later sweeps neither invite nor remind again.
    await run_sweep(bot, shanghai(2026, 12, 10, 10, 0))
    await emulator.wait_idle(quiet=0.3, timeout=60)
    assert _invitations(alice) == 1


async def test_survey_times_offered_before_the_claim_are_buttons_on_the_card(
    emulator: BotApiEmulator, api_client: Api
) -> None:
    bot = api_client.runner
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    key = await api_client.key("marketing", WRITER)
    number, version, code = await _file(api_client, key)
    await manager.user.wait_for(lambda m: number in (m.text or "") and "新申请" in (m.text or ""))
    version = await _act(api_client, key, number, version, action="accept")
    await _act(
        api_client,
        key,
        number,
        version,
        action="propose_slots",
        slots=["2026-11-30T09:00:00+08:00", "2026-12-01T14:30:00+08:00"],
    )

    alice = Customer(emulator, emulator.user(1001, first_name="张伟", language_code="zh-hans"))
    await alice.say(f"/start {code}")
    card = next(m for m in alice.user.messages() if "办理环节" in (m.text or ""))
    assert {"2026-11-30 09:00", "2026-12-01 14:30"} <= set(card.buttons)
    await alice.press(card, "2026-12-01 14:30")
    picked = await manager.user.wait_for(lambda m: "选择勘查时间" in (m.text or ""))
    assert number in text_of(picked) and "2026-12-01 14:30" in text_of(picked)
    rows = await bot.query("SELECT step FROM applications")
    assert [r["step"] for r in rows] == [Step.SURVEY.value]
