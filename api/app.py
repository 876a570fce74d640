"""``build_api()``: the integration API as one FastAPI application, given all it needs.

No globals: the bot builds it from its own service context, clock and settings (bot/app.py)
and serves it on its own event loop (:mod:`api.server`); a test or the OpenAPI generator
builds one the same way. Every route lives under ``/v1``; each resource is a router module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from api import actions, applications, events, intake, problems, stats, webhooks
from api.auth import Gate, RateLimiter
from api.deps import ApiDeps
from api.feed_watch import EventWatch
from api.settings import ApiSettings
from api.turns import TakingTurns
from process.clock import Clock
from services.context import ServiceContext
from storage.api_clients import ApiClient, ApiClientsRepo

PREFIX = "/v1"
TITLE = "hvconnect integration API"
VERSION = "1.0.0"
DESCRIPTION = (
    "High-voltage connection applications for the utility's other systems: the marketing "
    "system, the 95598 hotline, the service website. Every call sends "
    "`Authorization: Bearer KEY` (a key from `hvconnect api-client create`); errors are "
    "`application/problem+json` (RFC 9457) with a stable `type`."
)


def build_api(
    ctx: ServiceContext,
    clock: Clock,
    settings: ApiSettings,
    *,
    districts: tuple[str, ...] = (),
    bot_username: Callable[[], str | None] = lambda: None,
) -> FastAPI:
    deps = ApiDeps(
        ctx=ctx,
        clock=clock,
        settings=settings,
        districts=districts,
        gate=Gate(
            ApiClientsRepo(ctx.db), RateLimiter(clock, settings.rate_per_second, settings.burst)
        ),
        watch=EventWatch(ctx.db, settings.feed_poll_seconds),
        bot_username=bot_username,
    )
    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.deps = deps
    problems.install(app)
    for module in (applications, intake, actions, events, stats, webhooks):
        app.include_router(module.router(deps), prefix=PREFIX)
    app.middleware("http")(_audited(deps))
    # Added last, so outermost: a call waits for its turn before it is even authenticated.
    app.add_middleware(TakingTurns, at_once=settings.calls_at_once)
    return app


def deps_of(app: FastAPI) -> ApiDeps:
    deps = app.state.deps
    assert isinstance(deps, ApiDeps)
    return deps


def _audited(
    deps: ApiDeps,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """Each call of a recognised client, once answered, becomes a line of the audit trail."""
    clients = ApiClientsRepo(deps.ctx.db)

    async def audit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        client = getattr(request.state, "client", None)
        if isinstance(client, ApiClient):
            await clients.record_call(
                client.id,
                method=request.method,
                path=request.url.path,
                status=response.status_code,
                application_id=getattr(request.state, "application_id", None),
                now=deps.clock.now(),
            )
        return response

    return audit
