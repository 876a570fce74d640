"""Files round-trip: user uploads the bot downloads, bot uploads users receive."""

from __future__ import annotations

import struct

import pytest
from telegram import Bot
from telegram.error import BadRequest

from sandbox import BotApiEmulator, FakeUser

PNG_HEADER = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 640, 480)


async def test_a_users_document_can_be_fetched_and_downloaded(bot: Bot, alice: FakeUser) -> None:
    await alice.send_document("用电申请.pdf", b"%PDF-1.7 content", "application/pdf")
    (update,) = await bot.get_updates()
    document = update.message.document  # type: ignore[union-attr]
    assert document is not None
    assert document.file_name == "用电申请.pdf"
    assert document.mime_type == "application/pdf"
    assert document.file_size == len(b"%PDF-1.7 content")
    assert document.file_id.startswith("BQACAgUAAxkBAAI")
    assert len(document.file_unique_id) == 16
    telegram_file = await bot.get_file(document.file_id)
    assert telegram_file.file_path is not None and telegram_file.file_path.endswith(".pdf")
    assert bytes(await telegram_file.download_as_bytearray()) == b"%PDF-1.7 content"


async def test_a_declared_size_over_20_mb_cannot_be_fetched(bot: Bot, alice: FakeUser) -> None:
    await alice.send_document("big.pdf", b"%PDF", "application/pdf", declared_size=25 * 1024 * 1024)
    (update,) = await bot.get_updates()
    assert update.message.document.file_size == 25 * 1024 * 1024  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(update.message.document.file_id)  # type: ignore[union-attr]


async def test_a_users_photo_comes_in_sizes_smallest_first(bot: Bot, alice: FakeUser) -> None:
    await alice.send_photo(PNG_HEADER + b"rest", caption="现场照片")
    (update,) = await bot.get_updates()
    photo = update.message.photo  # type: ignore[union-attr]
    assert [(p.width, p.height) for p in photo] == [(90, 68), (640, 480)]
    assert update.message.caption == "现场照片"  # type: ignore[union-attr]
    downloaded = await (await bot.get_file(photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == PNG_HEADER + b"rest"


async def test_unknown_file_ids_are_invalid(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")


async def test_a_bot_document_is_stored_and_can_be_resent_by_id(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    sent = await bot.send_document(
        alice.id, b"receipt", filename="回执.txt", caption="<b>回执</b>", parse_mode="HTML"
    )
    assert sent.document is not None
    message = alice.last_message()
    assert message is not None
    assert message.document is not None and message.document["file_name"] == "回执.txt"
    assert message.caption == "回执" and message.caption_html == "<b>回执</b>"
    assert emulator.file_content(sent.document.file_id) == b"receipt"
    again = await bot.send_document(alice.id, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id


async def test_bot_photos_and_file_type_checks(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    photo = await bot.send_photo(alice.id, PNG_HEADER)
    assert photo.photo[-1].width == 640
    assert alice.last_message().photo is not None  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_document(alice.id, photo.photo[-1].file_id)
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_photo(alice.id, "AgACAgUAAxkBAAIunknown")
    with pytest.raises(BadRequest, match="File must be non-empty"):
        await bot.send_document(alice.id, b"", filename="empty.txt")


async def test_downloads_need_the_right_token_and_path(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    import aiohttp

    await alice.send_document("a.txt", b"abc", "text/plain")
    (update,) = await bot.get_updates()
    path = (await bot.get_file(update.message.document.file_id)).file_path  # type: ignore[union-attr]
    assert path is not None
    relative = path.split("/file/bot123456:TEST/", 1)[1]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emulator.file_url}123456:TEST/{relative}") as ok:
            assert await ok.read() == b"abc"
        async with http.get(f"{emulator.file_url}999:WRONG/{relative}") as wrong:
            assert wrong.status == 404
        async with http.get(f"{emulator.file_url}123456:TEST/documents/none") as missing:
            assert missing.status == 404
