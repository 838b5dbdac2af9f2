"""``borderpass ports add|list|deactivate|activate|check-rate``: ports are data (issue 26)."""

from __future__ import annotations

import argparse
from typing import Any

from borderpass.core.cli_io import print_rows, run_command
from borderpass.core.config import Settings

COMMANDS = ("ports",)


def add_commands(sub: Any) -> None:
    """Add the ``ports`` subcommands to the ``borderpass`` parser."""
    ports = sub.add_parser("ports", help="land ports: add, list, deactivate").add_subparsers(
        dest="ports_command", required=True, metavar="ACTION")
    add = ports.add_parser("add", help="add a port; declarations and lanes may name it at once")
    add.add_argument("code", help="the port's code: lower-case letters, digits, hyphens "
                     "(e.g. yonghe)")
    add.add_argument("--zh", required=True, help="its Chinese name, e.g. 永和")
    add.add_argument("--my", required=True, help="its Burmese name")
    add.add_argument("--en", required=True, help="its English (pinyin) name, e.g. Yonghe")
    add.add_argument("--countries", default="CN-MM",
                     help="the country pair it joins (default CN-MM)")
    listing = ports.add_parser("list", help="list ports with their lanes")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for action, text in (("deactivate", "no new declaration or lane may name it; its lanes, "
                          "passes and records are kept"),
                         ("activate", "open a deactivated port again")):
        ports.add_parser(action, help=text).add_argument("code")
    rate = ports.add_parser("check-rate", help="the share (%%) of second-line passages picked "
                            "for a random check (R-G8; 5 unless set)")
    rate.add_argument("code")
    rate.add_argument("percent", help="0 to 100")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``ports`` subcommand; its exit status."""
    return run_command(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from borderpass.adapters.db import close_db, init_db
    from borderpass.services.crossings import land_ports

    await init_db(settings.db_url)
    try:
        if args.ports_command == "add":
            port = await land_ports.add({"code": args.code, "name_zh": args.zh,
                                         "name_my": args.my, "name_en": args.en,
                                         "countries": args.countries})
            print(f"port {port.code} added ({port.names['zh_CN']} / {port.names['en']})")
        elif args.ports_command in ("deactivate", "activate"):
            port = await land_ports.set_active(args.code, args.ports_command == "activate")
            print(f"port {port.code} {'active' if port.active else 'deactivated'}")
        elif args.ports_command == "check-rate":
            percent = await land_ports.set_check_rate(args.code, args.percent)
            print(f"port {args.code}: {percent}% of second-line passages checked at random")
        else:
            lanes = await land_ports.lanes_by_port()
            rows = [{"code": p.code, "zh": p.names["zh_CN"], "my": p.names["my"],
                     "en": p.names["en"], "countries": p.countries, "active": p.active,
                     "lanes": lanes.get(p.code, 0)} for p in await land_ports.all_ports()]
            print_rows(rows, ("code", "zh", "my", "en", "countries", "active", "lanes"),
                       args.json)
        return 0
    finally:
        await close_db()
