"""The bot's Bot API client on aiohttp: what reaches the emulator, and how failures surface.

python-telegram-bot's retry loops and ours (bot.retrying_request) rely on a timeout being
TimedOut and any other failure NetworkError, as with its own httpx client; uploads must
arrive whole, with their file names and captions.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.aiohttp_request import AiohttpRequest
from bot.retrying_request import RetryingRequest
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits

CUSTOMER = 4242


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(limits=RateLimits(enabled=False), fault_hold_seconds=2.0) as emu:
        customer = emu.user(CUSTOMER, first_name="伟")
        emu.state.private_chat(customer.info)  # the customer has talked to the bot before
        yield emu


def _bot(emulator: BotApiEmulator, request: AiohttpRequest) -> Bot:
    return Bot(
        emulator.token,
        base_url=emulator.api_url,
        base_file_url=emulator.file_url,
        request=request,
        get_updates_request=request,
    )


async def test_a_message_and_an_upload_arrive_whole(emulator: BotApiEmulator) -> None:
    bot = _bot(emulator, AiohttpRequest(connection_pool_size=2))
    async with bot:
        sent = await bot.send_message(
            CUSTOMER, "您的申请已受理 <b>HV-2026-0001</b>", parse_mode="HTML"
        )
        workbook = bytes(range(256)) * 40  # every byte value, past one read buffer
        document = await bot.send_document(
            CUSTOMER, document=workbook, filename="统计-2026.xlsx", caption="本月统计"
        )
    assert sent.text == "您的申请已受理 HV-2026-0001"
    texts = [m.text for m in emulator.messages(CUSTOMER)]
    assert "您的申请已受理 HV-2026-0001" in texts
    stored = emulator.messages(CUSTOMER)[-1]
    assert stored.document is not None
    assert stored.document["file_name"] == "统计-2026.xlsx"
    assert stored.caption == "本月统计"
    assert emulator.file_content(stored.document["file_id"]) == workbook
    assert document.document is not None and document.document.file_name == "统计-2026.xlsx"


async def test_calls_wait_for_a_free_connection_rather_than_fail(
    emulator: BotApiEmulator,
) -> None:
    bot = _bot(emulator, AiohttpRequest(connection_pool_size=1))
    async with bot:
        await asyncio.gather(*(bot.send_message(CUSTOMER, f"第{i}条") for i in range(12)))
    assert sorted(m.text or "" for m in emulator.messages(CUSTOMER)) == sorted(
        f"第{i}条" for i in range(12)
    )


async def test_a_call_held_past_its_read_timeout_is_timed_out(emulator: BotApiEmulator) -> None:
    emulator.inject_faults("sendMessage", ["timeout"], 1)
    bot = _bot(emulator, AiohttpRequest(read_timeout=0.2))
    async with bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CUSTOMER, "会超时")
        # The next call is served: the held connection did not poison the pool.
        await bot.send_message(CUSTOMER, "之后正常")
    assert [m.text for m in emulator.messages(CUSTOMER)] == ["之后正常"]


async def test_a_dropped_connection_is_a_network_error(emulator: BotApiEmulator) -> None:
    emulator.inject_faults("sendMessage", ["reset"], 1)
    bot = _bot(emulator, AiohttpRequest())
    async with bot:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(CUSTOMER, "断开")
    assert not isinstance(raised.value, TimedOut)
    assert "aiohttp." in str(raised.value)


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot123:T/getMe")
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_says_so() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:1/getMe", "POST")


async def test_the_retrying_client_gets_past_a_server_error(emulator: BotApiEmulator) -> None:
    emulator.inject_faults("sendMessage", ["502", "reset"], 2)
    bot = _bot(emulator, RetryingRequest(pauses=(0.01, 0.01, 0.01)))
    async with bot:
        await bot.send_message(CUSTOMER, "第三次成功")
    assert [m.text for m in emulator.messages(CUSTOMER)] == ["第三次成功"]
    assert emulator.faults_injected == {"502": 1, "reset": 1}


async def test_the_environments_proxy_is_used_except_for_hosts_it_exempts(
    emulator: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("http_proxy", dead_proxy)
    monkeypatch.setenv("HTTP_PROXY", dead_proxy)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(NetworkError):
        async with _bot(emulator, AiohttpRequest(connect_timeout=1.0)) as through_proxy:
            await through_proxy.send_message(CUSTOMER, "经代理")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with _bot(emulator, AiohttpRequest(connect_timeout=1.0)) as direct:
        await direct.send_message(CUSTOMER, "直连")
    assert [m.text for m in emulator.messages(CUSTOMER)] == ["直连"]


def _self_signed(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 that nobody signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)  # the certificate's validity, not the bot's clock
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


async def test_a_certificate_nobody_trusts_is_refused_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    async def get_me(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"id": 1, "is_bot": True}})

    app = web.Application()
    app.router.add_post("/bot123:T/getMe", get_me)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=_self_signed(tmp_path))
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"https://127.0.0.1:{port}/bot123:T/getMe"
    checking, trusting = AiohttpRequest(), AiohttpRequest(ssl=False)
    try:
        await checking.initialize()
        await trusting.initialize()
        with pytest.raises(NetworkError, match=r"(?i)certificate"):
            await checking.post(url)
        assert await trusting.post(url) == {"id": 1, "is_bot": True}
    finally:
        await checking.shutdown()
        await trusting.shutdown()
        await runner.cleanup()
