"""A scripted customer who knows how to walk the application form."""

from __future__ import annotations

from typing import Any

from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from sandbox.state import CallbackAnswer
from sandbox.users import FakeUser

VALID_USCC = "91350100M000100Y43"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

ANSWERS: dict[str, str] = {
    "applicant_name": "汉中市天汉机械制造有限公司",
    "uscc": VALID_USCC,
    "project_name": "二期厂房新建工程",
    "site_address": "汉台区北一环路88号",
    "district": "汉台区",
    "usage_category": "大工业",
    "voltage_kv": "10 kV",
    "capacity_kva": "2000",
    "supply_mode": "单电源",
    "important_load": "否",
    "grid_works": "不需要",
    "wanted_date": "2027-06-30",
    "contact_name": "张伟",
    "contact_mobile": "13800138000",
}
CHOICE_FIELDS = {
    "district",
    "usage_category",
    "voltage_kv",
    "supply_mode",
    "important_load",
    "grid_works",
}


class Customer:
    def __init__(self, emulator: BotApiEmulator, user: FakeUser) -> None:
        self.emulator = emulator
        self.user = user

    async def say(self, text: str) -> SentMessage:
        """Send text and return the bot's last message of its answer."""
        await self.user.send_text(text)
        return await self.settle()

    async def settle(self) -> SentMessage:
        """Wait for the first new message, then for the bot to go quiet; the last counts.

        Edits do not count as the answer: pressing a button first removes that message's
        keyboard, and a busy machine could otherwise read that edit as the reply.
        """
        await self.user.wait_for(new_only=True)
        await self._idle()
        last = self.user.last_message()
        assert last is not None
        return last

    async def press(self, message: SentMessage, button: str) -> SentMessage:
        await self.user.press(message, button)
        return await self.settle()

    async def press_stale(self, message_id: int, data: str) -> CallbackAnswer:
        """Press (or forge) a button that should only be answered with a notice."""
        press = await self.user.press_raw(message_id, data)
        answer = await self.user.callback_answer(press)
        await self._idle()
        return answer

    async def answer(self, field: str, value: str | None = None) -> SentMessage:
        value = ANSWERS[field] if value is None else value
        prompt = self.user.last_message()
        assert prompt is not None
        if field in CHOICE_FIELDS:
            return await self.press(prompt, value)
        return await self.say(value)

    async def fill_fields(
        self, overrides: dict[str, str] | None = None, until: str | None = None
    ) -> SentMessage:
        last = None
        for field in ANSWERS:
            if field == until:
                break
            last = await self.answer(field, (overrides or {}).get(field))
        last = last or self.user.last_message()
        assert last is not None
        return last

    async def upload_pdf(self, name: str = "licence.pdf", **kw: Any) -> SentMessage:
        await self.user.send_document(name, PDF, "application/pdf", **kw)
        return await self.settle()

    async def upload_photo(self, **kw: Any) -> SentMessage:
        await self.user.send_photo(PNG, **kw)
        return await self.settle()

    async def _idle(self) -> None:
        # Quiet for 0.2 s ends the wait; the ceiling is generous for a loaded machine.
        await self.emulator.wait_idle(quiet=0.2, timeout=60)
