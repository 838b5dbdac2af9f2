"""Gate commands of the CLI: ``lane``, ``gate-keys``, ``ledger export|report``, ``lane-sim``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from borderpass.core.cli_io import print_rows
from borderpass.core.config import Settings
from borderpass.services.gate.gate_context import GateDeps

COMMANDS = ("lane", "gate-keys", "ledger", "lane-sim")


def add_commands(sub: Any) -> None:
    """Add the gate subcommands to the ``borderpass`` parser."""
    from borderpass.core.i18n import LOCALES
    from borderpass.models.enums import FilingCategory
    from borderpass.models.gate import LaneType

    lane = sub.add_parser("lane", help="register and list lanes").add_subparsers(
        dest="lane_command", required=True, metavar="ACTION")
    add = lane.add_parser("add", help="register a lane; prints its credential once")
    add.add_argument("code", help="the lane's code: lower-case letters, digits, hyphens "
                     "(e.g. rl-e1)")
    add.add_argument("--port", required=True, metavar="PORT",
                     help="an active port's code (`borderpass ports list`), e.g. yonghe")
    types = [t.value for t in LaneType]
    add.add_argument("--type", dest="lane_type", required=True, choices=types, metavar="TYPE",
                     help=f"lane type (R-G1): {', '.join(types)}")
    add.add_argument("--direction", required=True, choices=("exit", "entry"))
    add.add_argument("--accepts", help="comma-separated filing categories: "
                     + ", ".join(c.value for c in FilingCategory))
    add.add_argument("--languages", default=",".join(LOCALES),
                     help=f"comma-separated display languages: {', '.join(LOCALES)} "
                          "(default all)")
    listing = lane.add_parser("list", help="list lanes")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    reset = lane.add_parser("reset-credential", help="issue a new lane credential")
    reset.add_argument("code")
    keys = sub.add_parser("gate-keys", help="pass signing keys").add_subparsers(
        dest="keys_command", required=True, metavar="ACTION")
    key_list = keys.add_parser("list", help="list the keys lanes trust")
    key_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    keys.add_parser("rotate", help="sign new passes with a new key")
    retire = keys.add_parser("retire", help="stop trusting an old key")
    retire.add_argument("kid")
    ledger = sub.add_parser("ledger", help="the duty ledger (R-G6)").add_subparsers(
        dest="ledger_command", required=True, metavar="ACTION")
    export = ledger.add_parser("export", help="export a period as CSV or XLSX")
    export.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD or ISO time")
    export.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD or ISO time")
    report = ledger.add_parser("report", help="the 15-day ledger report (XLSX)")
    report.add_argument("--end", help="last day (exclusive) YYYY-MM-DD; default today")
    for p in (export, report):
        p.add_argument("--lane")
        p.add_argument("--format", choices=("csv", "xlsx"), default="xlsx" if p is report
                       else "csv")
        p.add_argument("--out", help="file to write (default: ledger-FROM-TO.EXT)")
    sim = sub.add_parser("lane-sim", help="simulated lane controllers against a server")
    sim.add_argument("--lanes", type=int, default=4)
    sim.add_argument("--rate", type=float, default=20.0, help="scans per second, all lanes")
    sim.add_argument("--duration", type=float, default=10.0, help="seconds")
    sim.add_argument("--url", help="server base URL (default http://HOST:PORT)")
    sim.add_argument("--verbose", action="store_true", help="print every decision")


def _moment(text: str, tz: ZoneInfo, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        sys.exit(f"error: --{name} should be YYYY-MM-DD or an ISO date-time, not {text!r}")
    return value if value.tzinfo else value.replace(tzinfo=tz)


async def _with_gate(settings: Settings, work: Callable[[GateDeps], Awaitable[int]]) -> int:
    from borderpass.adapters.db import close_db, init_db
    from borderpass.adapters.kv import make_redis
    from borderpass.app.deps import open_deps

    await init_db(settings.db_url)
    redis = make_redis(settings.redis_url)
    try:
        deps = await open_deps(settings, redis)
        return await work(GateDeps.build(deps, settings.gate_emergency_plates))
    finally:
        await redis.aclose()
        await close_db()


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one gate command; its exit status."""
    from borderpass.core.cli_io import print_error
    from borderpass.core.errors import BorderPassError

    handlers = {"lane": _lane, "gate-keys": _keys, "ledger": _ledger, "lane-sim": _sim}
    try:
        return asyncio.run(_with_gate(settings, lambda gate: handlers[args.command](
            gate, args, settings)))
    except BorderPassError as exc:
        print_error(exc)
        return 1


async def _lane(gate: GateDeps, args: argparse.Namespace, settings: Settings) -> int:
    from borderpass.presenters import gate as present
    from borderpass.services.gate import lanes

    if args.lane_command == "add":
        body = {"code": args.code, "port": args.port, "lane_type": args.lane_type,
                "direction": args.direction, "languages": args.languages.split(",")}
        if args.accepts:
            body["accepts"] = args.accepts.split(",")
        lane, token = await lanes.create(gate.deps, body)
        print(f"lane {lane.code} registered; credential (shown once): {token}")
    elif args.lane_command == "reset-credential":
        print(f"new credential (shown once): {await lanes.reset_credential(gate.deps, args.code)}")
    else:
        rows = [present.lane(lane) for lane in await lanes.all_lanes()]
        print_rows(rows, ("code", "port", "lane_type", "direction", "accepts", "languages",
                          "authority", "active"), args.json)
    return 0


async def _keys(gate: GateDeps, args: argparse.Namespace, settings: Settings) -> int:
    if args.keys_command == "rotate":
        print(f"new signing key {await gate.keys.rotate()}")
    elif args.keys_command == "retire":
        await gate.keys.retire(args.kid)
        print(f"retired {args.kid}")
    else:
        print_rows(await gate.keys.published(), ("kid", "active", "public_key"), args.json)
    return 0


async def _ledger(gate: GateDeps, args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from borderpass.services.gate import ledger, ledger_export

    tz = ZoneInfo(settings.timezone)
    if args.ledger_command == "report":
        end_day = _moment(args.end, tz, "end") if args.end else datetime.combine(
            datetime.now(tz).date(), time(), tz)
        start, end = end_day - ledger_export.REPORT_PERIOD, end_day
    else:
        start, end = _moment(args.start, tz, "from"), _moment(args.end, tz, "to")
    ledger_export.check_period(start, end)
    out = Path(args.out or f"ledger-{start:%Y%m%d}-{end:%Y%m%d}.{args.format}")
    total = await ledger.count(start, end, args.lane)
    with tqdm(total=total, unit="entries", desc=out.name) as bar:
        summary = await ledger_export.export(gate.deps.kv, out, args.format, start, end,
                                             args.lane, bar.update)
    print(f"{sum(summary.values())} entries {start.isoformat()} – {end.isoformat()} → {out}")
    for (kind, outcome), n in sorted(summary.items()):
        print(f"  {kind:<16} {outcome:<12} {n}")
    return 0


async def _sim(gate: GateDeps, args: argparse.Namespace, settings: Settings) -> int:
    from borderpass.gate_bridge import sim, sim_seed

    valid = int(args.rate * args.duration * sim.MIX["valid"] * 1.2) + 10
    world = await sim_seed.seed(gate, args.lanes, {"valid": valid, "expired": 20,
                                                   "wrong_direction": 20, "blacklisted": 20})
    url = (args.url or f"http://{settings.host}:{settings.port}").rstrip("/")
    print(f"{args.lanes} lanes, {args.rate:g} scans/s for {args.duration:g} s against {url}")
    report = await sim.run(url, world, args.rate, args.duration, verbose=args.verbose)
    print(sim.render(report))
    return 0 if not report.errors else 1

