"""The bot's HTTP client for the Bot API, on aiohttp rather than python-telegram-bot's httpx.

Every update the bot handles costs a few Bot API calls (an answer to the button, an edit, the
next question) and a share of a ``getUpdates``, and on a busy bot their client-side cost is
most of what the process spends: measured against the same emulator, one call through
python-telegram-bot's :class:`~telegram.request.HTTPXRequest` takes about 1.1 ms of CPU and
one through this client about 0.3 ms (``benchmarks/bench_conversation.py`` reports the
effect on a whole conversation). aiohttp is already the project's web server, so this adds
no dependency.

The contract is python-telegram-bot's :class:`~telegram.request.BaseRequest`: parameters
go as a form, files as ``multipart/form-data``; a timeout becomes
:class:`~telegram.error.TimedOut` and any other failure on the way
:class:`~telegram.error.NetworkError`, so the retry policies above it (ours in
:mod:`bot.retrying_request`, python-telegram-bot's for ``getUpdates``) see what they see
with httpx. Proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``), as with
httpx, but are looked up once per host: aiohttp's own ``trust_env`` reads them, and the
``.netrc`` file, in a worker thread on every request, which cost more than the request.
"""

from __future__ import annotations

import asyncio
import ssl as tls
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_WRITE_TIMEOUT = 5.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0
# Uploading a document takes longer than sending a line of text (python-telegram-bot's
# HTTPXRequest keeps the same separate default).
DEFAULT_MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """:class:`~telegram.request.BaseRequest` over one :class:`aiohttp.ClientSession`.

    ``connection_pool_size`` bounds the connections kept open to the Bot API; a call that
    finds them all busy waits up to the pool timeout for one. ``ssl`` is passed to aiohttp
    (``False`` accepts any certificate, for a local emulator with its own); by default
    Telegram's certificate is checked against certifi's bundle, as python-telegram-bot's
    httpx client does, so a machine whose own CA store is empty or stale connects the same.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_ssl",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        write_timeout: float | None = DEFAULT_WRITE_TIMEOUT,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        media_write_timeout: float | None = DEFAULT_MEDIA_WRITE_TIMEOUT,
        ssl: tls.SSLContext | bool = True,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._ssl = _certifi_context() if ssl is True else ssl
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; ``getUpdates`` adds its long-poll timeout to it."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session; it needs the running event loop, so not in ``__init__``."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=self._ssl),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxies.clear()

    async def shutdown(self) -> None:
        """Close the session and its connections; a second call does nothing."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP request; the status and the body, or TimedOut or NetworkError."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data is not None and request_data.contains_files
        timeout = self._timeout(
            read=_given(read_timeout, self._read_timeout),
            write=_given(
                write_timeout, self._media_write_timeout if uploads else self._write_timeout
            ),
            connect=_given(connect_timeout, self._connect_timeout),
            pool=_given(pool_timeout, self._pool_timeout),
        )
        body = _body(request_data) if request_data is not None else None
        try:
            async with session.request(
                method, url, data=body, timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, asyncio.TimeoutError) as error:  # noqa: UP041 - aiohttp raises both
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _proxy_for(self, url: str) -> str | None:
        """The environment's proxy for ``url``'s host, or None; looked up once per host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies()
            bypass = bool(urllib.request.proxy_bypass(key[1])) if key[1] else True
            self._proxies[key] = None if bypass else proxies.get(key[0])
        return self._proxies[key]

    @staticmethod
    def _timeout(
        *, read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        # aiohttp's connect timeout includes the wait for a free connection from the pool;
        # it has no timeout for writing the request, so the whole call is bounded by the sum
        # of all four instead, which is what httpx's separate timeouts add up to at worst.
        parts = (read, write, connect, pool)
        total = None if any(part is None for part in parts) else sum(p or 0.0 for p in parts)
        wait_for_connection = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(
            total=total, connect=wait_for_connection, sock_connect=connect, sock_read=read
        )


def _certifi_context() -> tls.SSLContext:
    """The default TLS context, with certifi's CA bundle when it is installed (it comes
    with httpx, which python-telegram-bot requires), else the system's."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - installed with python-telegram-bot
        return tls.create_default_context()
    return tls.create_default_context(cafile=certifi.where())


def _given(value: Any, default: float | None) -> float | None:
    """The caller's timeout, or ours where python-telegram-bot passed its DEFAULT_NONE."""
    if isinstance(value, type(BaseRequest.DEFAULT_NONE)):
        return default
    return value  # type: ignore[no-any-return]


def _body(request_data: RequestData) -> aiohttp.FormData | dict[str, str]:
    """A form of the JSON-encoded parameters; multipart when the call uploads files."""
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
