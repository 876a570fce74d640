"""``hvconnect webhooks``: subscribe a URL to events, list, remove, and send again.

The operator's side of the outgoing webhooks (README, "Outgoing webhooks"). Every
subcommand opens the configured database and migrates it first. ``add`` subscribes only an
existing, unrevoked API client, and prints the signing secret once: only its sealed form is
kept, so a lost secret means a new subscription. ``replay`` queues deliveries again; the
running bot picks them up at its next look at the queue (a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from bot.config.settings import Config, clock_of
from bot.secure_db import operator_database
from notifications.webhooks.subscribing import BadSubscription, parse_kinds, subscribe
from storage.api_clients import ApiClientsRepo
from storage.webhooks import WebhooksRepo

COMMAND = "webhooks"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(COMMAND, help="outgoing webhooks: add, list, remove, replay")
    actions = parser.add_subparsers(dest="webhooks_command", required=True)
    add = actions.add_parser("add", help="subscribe a URL; prints the signing secret once")
    add.add_argument("--client", required=True, help="the API client's name")
    add.add_argument("--url", required=True, help="https:// (http:// for localhost only)")
    add.add_argument("--events", help="event kinds, comma-separated (default: every kind)")
    actions.add_parser("list", help="every subscription with its deliveries")
    remove = actions.add_parser("remove", help="stop sending to a subscription")
    remove.add_argument("id", type=int, help="the subscription's id")
    replay = actions.add_parser("replay", help="queue deliveries again")
    replay.add_argument("--subscription", type=int, help="only this subscription")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--since", type=int, metavar="EVENT_ID", help="every event from this id on, again"
    )
    which.add_argument("--dead", action="store_true", help="the deliveries given up")


def run(args: argparse.Namespace, config: Config) -> int:
    """The body of ``hvconnect webhooks``; returns the exit status."""
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    now = clock_of(config).now()
    async with operator_database(config, now) as db:
        repo = WebhooksRepo(db)
        if args.webhooks_command == "add":
            return await _add(repo, ApiClientsRepo(db), args, now)
        if args.webhooks_command == "list":
            return await _list(repo, config)
        if args.webhooks_command == "remove":
            if not await repo.deactivate(args.id):
                return _fail(f"no active subscription {args.id}")
            print(f"Subscription {args.id} removed; nothing more is sent to it.")
            return 0
        return await _replay(repo, args, now)


async def _add(
    repo: WebhooksRepo, clients: ApiClientsRepo, args: argparse.Namespace, now: datetime
) -> int:
    # Subscriptions name their client without a foreign key (a revoked client's history
    # stays readable); so the name is checked here, where a typo would otherwise subscribe
    # a URL for nobody.
    name = args.client.strip()
    client = next((c for c in await clients.list_all() if c.name == name), None)
    if client is None or not client.active:
        state = "does not exist" if client is None else "has been revoked"
        print(
            f"hvconnect webhooks add: --client: the API client {name!r} {state} "
            "(see hvconnect api-client list)",
            file=sys.stderr,
        )
        return 2
    try:
        made = await subscribe(
            repo,
            client_name=args.client,
            url=args.url,
            event_kinds=parse_kinds(args.events),
            now=now,
        )
    except BadSubscription as error:
        print(f"hvconnect webhooks add: {error}", file=sys.stderr)
        return 2
    print(f"Subscription {made.id} for {args.client.strip()}: {args.url.strip()}")
    print(f"Signing secret (shown this once): {made.secret}")
    return 0


async def _list(repo: WebhooksRepo, config: Config) -> int:
    subscriptions = await repo.subscriptions()
    if not subscriptions:
        print("No webhook subscriptions. Add one with: hvconnect webhooks add --client … --url …")
        return 0
    counts = await repo.counts()
    for s in subscriptions:
        c = counts.get(s.id, {"waiting": 0, "delivered": 0, "dead": 0})
        kinds = ",".join(s.event_kinds) if s.event_kinds is not None else "every kind"
        state = "active" if s.active else "removed"
        made = s.created_at.astimezone(config.tz)
        print(
            f"{s.id}  {s.client_name}  {s.url}  [{kinds}]  {state}  since {made:%Y-%m-%d %H:%M}  "
            f"waiting {c['waiting']} · delivered {c['delivered']} · dead {c['dead']}"
        )
    return 0


async def _replay(repo: WebhooksRepo, args: argparse.Namespace, now: datetime) -> int:
    if args.subscription is not None:
        found = await repo.subscription(args.subscription)
        if found is None or not found.active:
            return _fail(f"no active subscription {args.subscription}")
    queued = await repo.replay(
        now=now,
        subscription_id=args.subscription,
        since_event=args.since,
        dead_only=args.dead,
    )
    print(f"{queued} delivery(ies) queued again.")
    return 0


def _fail(message: str) -> int:
    print(f"hvconnect webhooks: {message}", file=sys.stderr)
    return 1
