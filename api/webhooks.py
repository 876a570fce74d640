"""``/v1/webhooks``: a client subscribes its own URLs to events, lists and removes them, and
has deliveries sent again, with the scope ``webhooks:manage``.

The rules are those of ``hvconnect webhooks`` (:mod:`notifications.webhooks.subscribing`):
https, or plain http to this machine only; event kinds named like ``plan_approved``; a
signing secret drawn there, returned once in the creation's answer and never again (a lost
secret means a new subscription). A client sees and touches only its own subscriptions:
another client's id is answered as an unknown one (404), so that ids tell nothing of
others. What is sent, how it is signed and retried is the webhook worker's, whichever way
the subscription was made (README, "Outgoing webhooks").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller
from api.cursor import SQLITE_MAX
from api.deps import ApiDeps
from api.problems import Kind, ProblemError, documented
from api.scopes import Scope
from notifications.webhooks.subscribing import BadSubscription, subscribe
from storage.webhooks import Subscription, WebhooksRepo

MAX_URL = 2000
MAX_KINDS = 100
MAX_KIND = 64


SubscriptionId = Annotated[
    int, Path(ge=1, le=SQLITE_MAX, description="the subscription's id, as created")
]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=MAX_URL,
        description="where events are POSTed: https://, or http:// to localhost only",
        examples=["https://marketing.example.cn/hvconnect/events"],
    )
    kinds: list[Annotated[str, Field(max_length=MAX_KIND)]] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_KINDS,
        description="the event kinds to send, e.g. `submitted`, `plan_approved`; none: every kind",
        examples=[["submitted", "plan_approved"]],
    )


class DeliveryCounts(BaseModel):
    waiting: int = Field(description="not sent yet, or being retried")
    delivered: int
    dead: int = Field(description="given up after the last try; replay them to send again")


class SubscriptionOut(BaseModel):
    id: int
    url: str
    kinds: list[str] | None = Field(description="the event kinds sent; null: every kind")
    created_at: datetime
    deliveries: DeliveryCounts


class SubscribedOut(BaseModel):
    id: int
    url: str
    kinds: list[str] | None = Field(description="the event kinds sent; null: every kind")
    created_at: datetime
    signing_secret: str = Field(
        description="the key of the signatures (`X-Hvconnect-Signature`): shown this once, keep it"
    )


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since_event: int | None = Field(
        default=None,
        ge=1,
        le=SQLITE_MAX,
        description="send every event from this id on again (those before the subscription "
        "was made included); none: the deliveries given up (dead)",
    )


class ReplayedOut(BaseModel):
    queued: int = Field(description="deliveries queued again; sent in event order")


def router(deps: ApiDeps) -> APIRouter:
    routes = APIRouter(tags=["webhooks"])
    manager = Depends(deps.gate.require(Scope.WEBHOOKS_MANAGE))
    repo = WebhooksRepo(deps.ctx.db)
    errors = documented(Kind.BAD_REQUEST, Kind.UNAUTHORIZED, Kind.FORBIDDEN, Kind.INVALID)
    errors |= documented(Kind.RATE_LIMITED)
    one = errors | documented(Kind.NOT_FOUND)

    async def own(caller: Caller, subscription_id: int) -> Subscription:
        found = await repo.subscription(subscription_id)
        if found is None or not found.active or found.client_name != caller.client.name:
            raise ProblemError(
                Kind.NOT_FOUND,
                f"no subscription {subscription_id} of this client",
                field="subscription_id",
            )
        return found

    @routes.post(
        "/webhooks",
        status_code=201,
        responses=errors,
        summary="Subscribe a URL to events; answers with the signing secret, once",
    )
    async def create_webhook(body: SubscriptionIn, caller: Caller = manager) -> SubscribedOut:
        try:
            made = await subscribe(
                repo,
                client_name=caller.client.name,
                url=body.url,
                event_kinds=body.kinds,
                now=deps.clock.now(),
            )
        except BadSubscription as error:
            raise ProblemError(Kind.INVALID, str(error), field=error.field) from None
        found = await repo.subscription(made.id)
        assert found is not None
        return SubscribedOut(
            id=found.id,
            url=found.url,
            kinds=_kinds(found),
            created_at=found.created_at.astimezone(UTC),
            signing_secret=made.secret,
        )

    @routes.get("/webhooks", responses=errors, summary="The client's subscriptions")
    async def list_webhooks(caller: Caller = manager) -> SubscriptionList:
        mine = await repo.subscriptions(active_only=True, client_name=caller.client.name)
        counts = await repo.counts()
        return SubscriptionList(
            items=[
                SubscriptionOut(
                    id=s.id,
                    url=s.url,
                    kinds=_kinds(s),
                    created_at=s.created_at.astimezone(UTC),
                    deliveries=DeliveryCounts(
                        **counts.get(s.id, {"waiting": 0, "delivered": 0, "dead": 0})
                    ),
                )
                for s in mine
            ]
        )

    @routes.delete(
        "/webhooks/{subscription_id}",
        status_code=204,
        response_class=Response,
        responses=one | {204: {"description": "removed: nothing more is sent to it"}},
        summary="Remove a subscription",
    )
    async def delete_webhook(
        subscription_id: SubscriptionId,
        caller: Caller = manager,
    ) -> Response:
        found = await own(caller, subscription_id)
        await repo.deactivate(found.id)
        return Response(status_code=204)

    @routes.post(
        "/webhooks/{subscription_id}/replay",
        responses=one,
        summary="Send deliveries again: the dead ones, or every event from one on",
    )
    async def replay_webhook(
        subscription_id: SubscriptionId,
        body: ReplayIn | None = None,
        caller: Caller = manager,
    ) -> ReplayedOut:
        found = await own(caller, subscription_id)
        since = None if body is None else body.since_event
        queued = await repo.replay(
            now=deps.clock.now(),
            subscription_id=found.id,
            since_event=since,
            dead_only=since is None,
        )
        if queued:
            # The bot wakes its webhook worker with its outbox sender: the replayed rows
            # go now rather than at the worker's next look at the queue.
            deps.ctx.outbox.wake()
        return ReplayedOut(queued=queued)

    return routes


def _kinds(subscription: Subscription) -> list[str] | None:
    return None if subscription.event_kinds is None else list(subscription.event_kinds)
