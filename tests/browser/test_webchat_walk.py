"""A customer applies in the browser; the customer manager sees it; the clock moves."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

from bot.sandbox.run import SandboxRunner
from tests.browser.browser_check import require_browser
from tests.e2e.customer import ANSWERS, CHOICE_FIELDS, PDF

require_browser()

from playwright.async_api import Page, expect  # noqa: E402

from tests.browser.chat_page import ChatPage  # noqa: E402

CUSTOMER_MANAGER = 9001


def identity_card_png(width: int = 360, height: int = 228) -> bytes:
    """A card-shaped PNG (a blue band over pale blue), big enough to see in a screenshot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    band, pale = bytes((51, 144, 236)), bytes((225, 238, 252))
    rows = b"".join(b"\x00" + (band if y < height // 4 else pale) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def fill_the_form(chat: ChatPage) -> None:
    fields = list(ANSWERS)
    for number, field in enumerate(fields, start=1):
        following = f"{number + 1}/{len(fields)}" if number < len(fields) else "营业执照"
        prompt = await chat.prompt(f"{number}/{len(fields)}")
        if field in CHOICE_FIELDS:
            await chat.press(ANSWERS[field], following, message=prompt)
        else:
            await chat.send(ANSWERS[field], following)


async def test_a_customer_applies_and_the_customer_manager_is_alerted(
    sandbox: SandboxRunner, page: Page, tmp_path: Path, artifacts: Path
) -> None:
    licence, identity = tmp_path / "营业执照.pdf", tmp_path / "身份证.png"
    licence.write_bytes(PDF)
    identity.write_bytes(identity_card_png())
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await expect(chat.persona(CUSTOMER_MANAGER)).to_contain_text("客户经理")

    await chat.add_customer("张伟")
    welcome = await chat.send("/start", "分享您的手机号")
    await expect(chat.bot_messages.first.locator("b")).to_contain_text("张伟")  # HTML formatting
    await expect(welcome).to_be_visible()
    await chat.after_new_message(
        page.get_by_test_id("share-contact").click, "已保存您的手机号 139****0001"
    )
    await chat.send("/apply", "1/14")
    await fill_the_form(chat)
    received = await chat.upload(licence, "第 1 个文件")
    await chat.press("下一步 ▶", "身份证明", message=received)
    received = await chat.upload(identity, "第 1 个文件")
    await expect(chat.own_messages.last.get_by_test_id("photo")).to_be_visible()
    await page.wait_for_function("Array.from(document.images).every((i) => i.complete)")
    await page.screenshot(path=artifacts / "0-documents.png")  # docs/sandbox.png comes from here
    await chat.press("下一步 ▶", "产权证明", message=received)
    await chat.press("后补（告知承诺）", "用电设备清单")
    received = await chat.upload(licence, "第 1 个文件")
    summary = await chat.press("下一步 ▶", "请核对申请信息", message=received)
    await expect(summary).to_contain_text("汉中市天汉机械制造有限公司")
    await page.screenshot(path=artifacts / "1-summary.png")
    done = await chat.press("✅ 提交申请", "HV-2026-000001", message=summary)
    await expect(done).to_contain_text("业务受理")
    await expect(chat.own_messages.filter(has_text="营业执照.pdf")).to_have_count(2)

    # The customer manager's unread count rose while the customer's chat was open.
    manager = chat.persona(CUSTOMER_MANAGER)
    await expect(manager.get_by_test_id("unread")).to_be_visible()
    await chat.select(CUSTOMER_MANAGER)
    alert = await chat.prompt("HV-2026-000001")
    await page.screenshot(path=artifacts / "2-manager.png")
    await chat.press("打开申请", "HV-2026-000001", message=alert)
    accept = chat.bot_messages.last.get_by_role("button", name=re.compile("受理"))
    if await accept.count():
        await chat.after_new_message(accept.first.click, "HV-2026-000001")

    await page.get_by_test_id("clock-workday").click()
    await expect(page.get_by_test_id("clock-date")).to_contain_text("2026-11-30")
    await page.get_by_test_id("clock-hour").click()
    await expect(page.get_by_test_id("clock-time")).to_contain_text("11:00")
    assert sandbox.clock.now().isoformat().startswith("2026-11-30T11:00")
    await page.screenshot(path=artifacts / "3-clock.png")

    # To the plan's deadline (10 working days after acceptance): the manager is reminded.
    await page.get_by_test_id("clock-deadline").click()
    await expect(page.get_by_test_id("clock-date")).to_contain_text("2026-12-11")
    reminder = await chat.prompt("今天到期")
    await expect(reminder).to_contain_text("HV-2026-000001")
    await page.screenshot(path=artifacts / "4-reminder.png")
