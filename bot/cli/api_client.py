"""``hvconnect api-client``: the integration API's clients, created, listed and revoked.

``create`` prints the client's key once: only its hash is kept, so a lost key is replaced
by revoking the client and creating another. Every subcommand opens the configured database
and migrates it first, so it works on a fresh installation; the running bot sees a new or
revoked client at its next call.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys

from api.scopes import Scope
from bot.cli.staff import table
from bot.config.settings import Config, clock_of
from bot.secure_db import operator_database
from storage.api_clients import ApiClientsRepo, ClientNameTaken

COMMAND = "api-client"
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
SCOPES = ", ".join(scope.value for scope in Scope)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(COMMAND, help="create, list or revoke integration API clients")
    actions = parser.add_subparsers(dest="api_client_command", required=True)
    create = actions.add_parser("create", help="a new client; prints its key once")
    create.add_argument("--name", required=True, help="e.g. marketing, hotline-95598")
    create.add_argument("--scopes", required=True, help=f"comma-separated: {SCOPES}")
    actions.add_parser("list", help="every client with its scopes and state")
    revoke = actions.add_parser("revoke", help="take a client's key away for good")
    revoke.add_argument("name", help="the client's name")


def run(args: argparse.Namespace, config: Config) -> int:
    """The body of ``hvconnect api-client``; returns the exit status."""
    if args.api_client_command == "create":
        if not NAME.match(args.name):
            return _fail(
                "--name: expected 1 to 40 of a-z, 0-9, '.', '_' and '-', starting with a "
                f"letter or digit, got {args.name!r}"
            )
        scopes = {part.strip() for part in args.scopes.split(",") if part.strip()}
        known = {scope.value for scope in Scope}
        if not scopes or not scopes <= known:
            wrong = sorted(scopes - known) or [args.scopes]
            return _fail(f"--scopes: expected some of {SCOPES}, got {wrong[0]!r}")
        return asyncio.run(_run(args, config, frozenset(scopes)))
    return asyncio.run(_run(args, config, frozenset()))


async def _run(args: argparse.Namespace, config: Config, scopes: frozenset[str]) -> int:
    now = clock_of(config).now()
    async with operator_database(config, now) as db:
        repo = ApiClientsRepo(db)
        if args.api_client_command == "create":
            try:
                _, key = await repo.create(args.name, scopes, now)
            except ClientNameTaken:
                return _fail(f"a client named {args.name} exists already (perhaps revoked)")
            print(f"API key for {args.name} ({', '.join(sorted(scopes))}):")
            print(key)
            print("It is shown this once; only its hash is kept. Send it as")
            print("Authorization: Bearer <key>")
            return 0
        if args.api_client_command == "list":
            clients = await repo.list_all()
            if not clients:
                print("No API clients yet: hvconnect api-client create --name … --scopes …")
                return 0
            rows = [("name", "scopes", "created", "state")]
            rows += [
                (
                    c.name,
                    ",".join(sorted(c.scopes)),
                    f"{c.created_at.astimezone(config.tz):%Y-%m-%d %H:%M}",
                    "active"
                    if c.revoked_at is None
                    else f"revoked {c.revoked_at.astimezone(config.tz):%Y-%m-%d %H:%M}",
                )
                for c in clients
            ]
            print("\n".join(table(rows)))
            return 0
        if not await repo.revoke(args.name, now):
            return _fail(f"no active client named {args.name}", status=1)
        print(f"Revoked {args.name}: its key is refused from its next call.")
        return 0


def _fail(message: str, status: int = 2) -> int:
    print(f"hvconnect api-client: {message}", file=sys.stderr)
    return status
