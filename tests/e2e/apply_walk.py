"""Submitting a whole application as a customer, for tests that need one to exist."""

from __future__ import annotations

import re

from tests.e2e.customer import Customer


async def submit_application(customer: Customer, **overrides: str) -> str:
    await customer.say("/apply")
    await customer.fill_fields(overrides=overrides)
    received = await customer.upload_pdf("licence.pdf")
    prompt = await customer.press(received, "下一步 ▶")
    received = await customer.upload_photo()
    prompt = await customer.press(received, "下一步 ▶")
    prompt = await customer.press(prompt, "后补（告知承诺）")
    received = await customer.upload_pdf("equipment.pdf")
    summary = await customer.press(received, "下一步 ▶")
    done = await customer.press(summary, "✅ 提交申请")
    match = re.search(r"HV-\d{4}-\d{6}", done.text or "")
    assert match, done.text
    return match.group()
