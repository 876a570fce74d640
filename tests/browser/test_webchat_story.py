"""The sandbox page playing the story by itself: one application from /apply to the survey.

The player drives the real bot through the page, so these runs are smoke tests of the whole
process too; every wait ends on a signal the page gives (the caption bar's state and step),
with a ceiling for a loaded machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.sandbox.run import SandboxRunner
from tests.browser.browser_check import require_browser

require_browser()

from playwright.async_api import Page, expect  # noqa: E402

from tests.browser.access import DESKTOP, PHONE, scrolls_sideways, serious_violations  # noqa: E402
from tests.browser.chat_page import ChatPage  # noqa: E402

WHOLE_STORY_MS = 15 * 60 * 1000  # a ceiling for the whole played story, not a measure
STAGE_3 = "[data-testid=story][data-stage='3']"
# The step (from 0) that moves the clock to the supply plan's due date, in the steps played.
DUE_DATE_JUMP = "Player._list().findIndex((step) => step.step === 'deadline')"


async def bot_texts(page: Page, sandbox: SandboxRunner, role: str) -> list[str]:
    """Every bot message of the first persona with ``role``, read through the page's API."""
    personas: dict[str, Any] = await (await page.request.get(f"{sandbox.url}/api/personas")).json()
    user = next(p["user_id"] for p in personas["personas"] if p["role"] == role)
    chat: dict[str, Any] = await (await page.request.get(f"{sandbox.url}/api/chats/{user}")).json()
    return [m["text"] or m["caption"] or "" for m in chat["messages"] if m["from_bot"]]


async def every_stage_in_its_chat(page: Page, sandbox: SandboxRunner) -> None:
    """The bot's Chinese messages of each stage, each in the chat it belongs to."""
    customer = "\n".join(await bot_texts(page, sandbox, "customer"))
    for said in ("申请编号", "已受理", "选择现场勘查时间", "供电方案已答复", "一次性告知"):
        assert said in customer, said
    for said in ("确认已签订合同", "装表接电和送电安排在", "已送电", "满意"):
        assert said in customer, said
    manager = "\n".join(await bot_texts(page, sandbox, "customer_manager"))
    for said in ("新申请", "受理审核中", "今天到期", "已超期", "客户：确认已签订合同"):
        assert said in manager, said
    assert "今天到期" not in customer and "超期督办" not in manager  # each in its own chat
    project = "\n".join(await bot_texts(page, sandbox, "project_manager"))
    assert "指派为" in project and "客户：提交设计文件" in project
    assert "超期督办" in "\n".join(await bot_texts(page, sandbox, "supervisor"))


async def every_stage_in_its_chat_in_english(page: Page, sandbox: SandboxRunner) -> None:
    """The bot's English messages of each stage, each in its chat, and none in Chinese: the
    story's people chose English in their chats."""
    customer = await bot_texts(page, sandbox, "customer")
    told = "\n".join(customer)
    for said in ("Application submitted", "has been accepted", "choose a site-survey time"):
        assert said in told, said
    for said in ("The supply plan for", "told once", "Confirm the contract is signed"):
        assert said in told, said
    for said in ("are set for", "is energized", "Satisfaction survey", "Thank you for your"):
        assert said in told, said
    manager = "\n".join(await bot_texts(page, sandbox, "customer_manager"))
    for said in ("New application", "being checked", "Due today", "Overdue by"):
        assert said in manager, said
    assert "Customer: Confirm the contract is signed" in manager
    assert "Due today" not in told and "Overdue applications" not in manager
    project = "\n".join(await bot_texts(page, sandbox, "project_manager"))
    assert "made you the project manager" in project and "Customer: Submit the design" in project
    assert "Overdue applications" in "\n".join(await bot_texts(page, sandbox, "supervisor"))
    # From his choice of English on, nothing the customer is sent is Chinese but data: the
    # company's name he typed, the district's code, the staff's names.
    chose = next(i for i, t in enumerate(customer) if "The bot now speaks English" in t)
    for text in customer[chose:]:
        for data in ("汉中市天汉机械制造有限公司", "汉台区", "王敏", "李强", "陈静"):
            text = text.replace(data, "")
        assert not any("\u4e00" <= c <= "\u9fff" for c in text), text


async def play(page: Page, speed: str) -> None:
    await page.get_by_test_id("story-play").click()
    await expect(page.get_by_test_id("story")).to_be_visible()
    await expect(page.get_by_test_id("story-pause")).to_be_focused()  # the keyboard goes on
    await page.keyboard.press("Tab")  # Step is disabled while playing: on to Speed
    await expect(page.get_by_test_id("story-speed")).to_be_focused()
    await page.get_by_test_id("story-speed").select_option(speed)
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_test_id("story-pause")).to_be_focused()


async def test_the_story_plays_to_the_survey_in_english_on_a_desktop(
    sandbox: SandboxRunner, page: Page, artifacts: Path
) -> None:
    await page.set_viewport_size(DESKTOP)
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await page.get_by_test_id("ui-language").click()
    await expect(page.get_by_test_id("story-play")).to_have_text("▶ Play the story")

    await play(page, "4")
    await expect(page.get_by_test_id("story-pause")).to_have_text("Pause")
    story = page.get_by_test_id("story")
    jump = await page.evaluate(DUE_DATE_JUMP)
    # Held just after the clock jumped to the supply plan's due date: the manager's reminder.
    await expect(story).to_have_attribute("data-step", str(jump - 2), timeout=WHOLE_STORY_MS)
    await page.get_by_test_id("story-pause").click()
    await expect(story).to_have_attribute("data-held", "true")
    done = int(await story.get_attribute("data-step") or "0")
    while done <= jump:  # one step at a time, up to the jump itself
        await page.get_by_test_id("story-step").click()
        done += 1
        await expect(story).to_have_attribute("data-step", str(done))
        await expect(story).to_have_attribute("data-held", "true")
    await expect(page.get_by_test_id("chat-title")).to_have_text("王敏")
    await expect(chat.bot_messages.last).to_contain_text("Due today")
    await expect(page.get_by_test_id("story-days")).to_have_text(
        "10 of 10 working days used in this stage"
    )
    assert await serious_violations(page) == []  # audited mid-story
    assert not await scrolls_sideways(page)
    await page.screenshot(path=artifacts / "story-desktop.png")  # docs/sandbox-story.png
    await page.get_by_test_id("story-pause").click()
    await expect(page.locator(STAGE_3)).to_be_attached(timeout=WHOLE_STORY_MS)
    assert await serious_violations(page) == []  # audited while it plays
    await expect(page.get_by_test_id("story-days")).to_contain_text("working days")

    await expect(story).to_have_attribute("data-state", "done", timeout=WHOLE_STORY_MS)
    await expect(page.get_by_test_id("story-caption")).to_contain_text("satisfaction survey")
    await expect(chat.bot_messages.last).to_contain_text("Thank you for your feedback")
    await every_stage_in_its_chat_in_english(page, sandbox)
    assert await serious_violations(page) == []
    await page.get_by_test_id("story-close").click()
    await expect(story).to_be_hidden()
    await expect(page.get_by_test_id("story-play")).to_be_focused()


async def test_on_a_phone_pause_holds_the_story_and_step_runs_exactly_one(
    sandbox: SandboxRunner, page: Page, artifacts: Path
) -> None:
    await page.set_viewport_size(PHONE)
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await page.get_by_test_id("panel-toggle").click()
    await play(page, "4")
    story = page.get_by_test_id("story")
    await expect(story.get_by_role("listitem").first).to_have_text("1 业务受理")

    # Paused while the form is being filled in: the player stops before its next step.
    await expect(page.locator("[data-testid=story][data-step='6']")).to_be_attached()
    await page.keyboard.press("Enter")  # the focused Pause button, pressed from the keyboard
    await expect(page.get_by_test_id("story-pause")).to_have_text("继续")
    await expect(story).to_have_attribute("data-held", "true")
    held = int(await story.get_attribute("data-step") or "0")
    messages = await chat.own_messages.count()
    assert await serious_violations(page) == []  # paused, mid-story
    assert not await scrolls_sideways(page)
    assert await story.get_attribute("data-step") == str(held)  # no progress while paused
    assert await chat.own_messages.count() == messages

    for expected in (held + 1, held + 2):
        await page.get_by_test_id("story-step").click()
        await expect(story).to_have_attribute("data-step", str(expected))
        await expect(story).to_have_attribute("data-held", "true")
        await expect(page.get_by_test_id("story-pause")).to_have_text("继续")

    await page.get_by_test_id("story-pause").click()
    await expect(page.get_by_test_id("story-pause")).to_have_text("暂停")
    await expect(page.locator(STAGE_3)).to_be_attached(timeout=WHOLE_STORY_MS)
    assert await serious_violations(page) == []
    await expect(page.get_by_test_id("story-caption")).to_be_in_viewport()
    await page.screenshot(path=artifacts / "story-phone.png")  # docs/sandbox-story-phone.png
    await expect(story).to_have_attribute("data-state", "done", timeout=WHOLE_STORY_MS)
    await expect(page.get_by_test_id("story-caption")).to_contain_text("满意度调查")
    await every_stage_in_its_chat(page, sandbox)


async def test_a_bot_that_does_not_answer_stops_the_story_saying_which_step(
    sandbox: SandboxRunner, page: Page
) -> None:
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    # The page's ceiling for an answer, shortened: what is tested is what the page says.
    await page.evaluate("Player.ceilingMs = 3000")
    await play(page, "4")
    story = page.get_by_test_id("story")
    await expect(story).to_have_attribute("data-step", "2")  # /start and the phone answered
    await sandbox._stop_bot()  # the emulator and the page stay up; nobody answers

    await expect(story).to_have_attribute("data-state", "failed", timeout=WHOLE_STORY_MS)
    caption = page.get_by_role("alert")
    await expect(caption).to_contain_text("演示在第")
    await expect(caption).to_contain_text("在客户的对话中等待")
    await expect(caption).to_contain_text("3 秒")
    await expect(page.get_by_test_id("story-pause")).to_be_disabled()
    assert await serious_violations(page) == []
    await page.get_by_test_id("story-close").click()
    await expect(story).to_be_hidden()
