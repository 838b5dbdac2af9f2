"""``borderpass agency add|list|replay|stop|start``: subscribers (docs/exchange.md), the
operator at the server's shell acting as admin (audited with no account)."""

from __future__ import annotations

import argparse
from typing import Any

from borderpass.core.cli_io import print_rows, run_command
from borderpass.core.config import Settings

COMMANDS = ("agency",)
COLUMNS = ("id", "code", "kind", "url", "event_types", "active", "last_delivered_id", "lag",
           "failures", "last_error", "dead_letters")


def add_commands(sub: Any) -> None:
    """Add the ``agency`` subcommands to the ``borderpass`` parser."""
    from borderpass.services.exchange import kinds

    agency = sub.add_parser("agency", help="agencies receiving our events: add, list, "
                            "replay").add_subparsers(dest="agency_command", required=True,
                                                     metavar="ACTION")
    add = agency.add_parser("add", help="register an agency; prints its secret once")
    add.add_argument("code", help="lower-case letters, digits, hyphens (e.g. customs-ruili)")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=kinds.AGENCY_KINDS)
    add.add_argument("--url", required=True, help="where events are posted (https)")
    add.add_argument("--types", required=True,
                     help=f"comma-separated: {', '.join(kinds.CATEGORIES)}")
    add.add_argument("--batch", type=int, default=1, help="events per POST (default 1)")
    listing = agency.add_parser("list", help="agencies with their delivery state")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    replay = agency.add_parser("replay", help="deliver again every event after an id")
    replay.add_argument("code")
    replay.add_argument("after", type=int, help="an event id (0: from the start)")
    for action in ("stop", "start"):
        agency.add_parser(action, help=f"{action} deliveries to an agency").add_argument("code")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``agency`` subcommand; its exit status."""
    return run_command(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from borderpass.adapters.db import close_db, init_db
    from borderpass.adapters.keyring import open_cipher
    from borderpass.core.errors import NotFound
    from borderpass.models import Agency
    from borderpass.presenters import exchange as present
    from borderpass.services.exchange import subscribers

    await init_db(settings.db_url)
    try:
        if args.agency_command == "add":
            policy = subscribers.Policy(settings.exchange_loopback_http)
            agency, secret = await subscribers.register(None, {
                "code": args.code, "name": args.name, "kind": args.kind, "url": args.url,
                "event_types": [t.strip() for t in args.types.split(",") if t.strip()],
                "batch_size": args.batch}, await open_cipher(settings), policy)
            print(f"agency {agency.code} added; its secret (shown once): {secret}")
            return 0
        if args.agency_command == "list":
            rows = [present.agency(a) for a in await subscribers.list_all(None)]
            print_rows([{**r, "event_types": ",".join(r["event_types"])} for r in rows],
                       COLUMNS, args.json)
            return 0
        found = await Agency.get_or_none(code=args.code)
        if found is None:
            raise NotFound("agency_not_found", "code")
        if args.agency_command == "replay":
            await subscribers.replay(None, found.id, args.after)
            print(f"agency {found.code}: events after {args.after} will be delivered again")
        else:
            start = args.agency_command == "start"
            await subscribers.set_active(None, found.id, start)
            print(f"agency {found.code}: {'started' if start else 'stopped'}")
        return 0
    finally:
        await close_db()
