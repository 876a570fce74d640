"""A whole conversation full of personal data, for the at-rest and the logging tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import PNG, Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol

NUMBER = re.compile(r"HV-\d{4}-\d{6}")
OWN_PHONE = "13698765432"  # the customer's Telegram account, shared with the button
CONTACT_MOBILE = "13912345678"
CONTACT_NAME = "欧阳娜娜"
# A sole trader (个体工商户): the business is named after its owner and set up at home, so its
# name, credit code and site address are the owner's personal data.
USCC = "92610702MA6Y7QWE1P"
APPLICANT = "汉台区欧阳娜娜便利店"
HOME_ADDRESS = "汉台区东关街8号2单元302室"
FIRST_NAME = "欧阳娜娜"  # the customer's Telegram account
USERNAME = "ouyang_nana_hz"
DOC_NAME = "欧阳娜娜身份证.pdf"
NOTE = "缺身份证反面，请回电13811112222"  # what the manager types when returning the form
QUESTION = "请问勘察人员明天几点到北门"
ANSWER = "下周二上午十点整到厂"
CAPTION = "配电室现场照片一张"


class PatientCustomer(Customer):
    """Waits a little longer for the bot to go quiet: with debug logging on, the bot takes
    longer between the messages of one answer."""

    async def _idle(self) -> None:
        await self.emulator.wait_idle(quiet=0.2)


@dataclass(frozen=True)
class Walked:
    number: str
    customer: Customer
    manager: Customer

    @property
    def plain_values(self) -> tuple[str, ...]:
        return (
            OWN_PHONE,
            CONTACT_MOBILE,
            CONTACT_NAME,
            USCC,
            QUESTION,
            ANSWER,
            CAPTION,
            APPLICANT,
            HOME_ADDRESS,
            USERNAME,
            DOC_NAME,
            NOTE,
        )


async def _submit(alice: Customer) -> str:
    """The form with our personal data; the submission is waited for by its answer (the
    summary's buttons go first, the answer after the transaction)."""
    await alice.say("/apply")
    await alice.fill_fields(
        overrides={
            "applicant_name": APPLICANT,
            "uscc": USCC,
            "site_address": HOME_ADDRESS,
            "contact_name": CONTACT_NAME,
            "contact_mobile": CONTACT_MOBILE,
        }
    )
    received = await alice.upload_pdf(DOC_NAME)
    await alice.press(received, "下一步 ▶")
    received = await alice.upload_photo()
    prompt = await alice.press(received, "下一步 ▶")
    prompt = await alice.press(prompt, "后补（告知承诺）")
    received = await alice.upload_pdf("equipment.pdf")
    summary = await alice.press(received, "下一步 ▶")
    await alice.user.press(summary, "✅ 提交申请")
    done = await alice.user.wait_for(lambda m: "申请已提交" in (m.text or ""))
    match = NUMBER.search(done.text or "")
    assert match, done.text
    return match.group()


async def walk_with_personal_data(emulator: BotApiEmulator, bot: BotRunner) -> Walked:
    """Share a phone, apply, exchange messages (one a captioned photo) with the manager, and
    have the form returned for a missing document with a note."""
    enrolled = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    manager = PatientCustomer(emulator, enrolled.user)
    alice = PatientCustomer(
        emulator,
        emulator.user(
            1001, first_name=FIRST_NAME, username=USERNAME, phone_number=f"+86{OWN_PHONE}"
        ),
    )
    await alice.say("/start")
    await alice.user.tap(alice.user.reply_keyboard[0][0])
    await alice.settle()
    number = await _submit(alice)
    await alice.say("/contact")
    await alice.say(QUESTION)
    relayed = await manager.user.wait_for(lambda m: QUESTION in (m.text or ""))
    await manager.press(relayed, "↩️ 回复")
    await manager.say(ANSWER)
    reply = await alice.user.wait_for(lambda m: ANSWER in (m.text or ""))
    await alice.press(reply, "↩️ 回复")
    await alice.user.send_photo(PNG, caption=CAPTION)
    await manager.user.wait_for(lambda m: m.photo is not None)
    await _return_with_note(manager, alice, number)
    await emulator.wait_idle(quiet=0.2)
    return Walked(number, alice, manager)


async def _return_with_note(manager: Customer, alice: Customer, number: str) -> None:
    """The manager opens the card, returns the form for a missing document and says what is
    missing; the customer is told."""
    await manager.say(f"/app {number}")
    card = next(
        m
        for m in reversed(manager.user.messages())
        if any(b.text == "退回补正资料" for b in m.inline_buttons)
    )
    await manager.press(card, "退回补正资料")
    await manager.say(NOTE)
    await alice.user.wait_for(lambda m: NOTE in (m.text or ""))
