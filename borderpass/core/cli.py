"""``borderpass serve | migrate | user add | sweep | worker | ocr | ocr-models``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from borderpass.core.config import Settings
from borderpass.core.logs import setup_logging
from borderpass.core.loop import new_loop, run

log = logging.getLogger("borderpass.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="borderpass", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--demo", action="store_true",
                       help="also run a local fake WeChat server and create demo staff")
    serve.add_argument("--processes", type=int, default=1,
                       help="server processes sharing the port (one core each; default 1)")
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--standby", action="store_true", help=argparse.SUPPRESS)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("sweep", help="run the expiry and overstay sweeps once")
    sub.add_parser("worker", help="run the push sender and the sweeps, without HTTP")
    user = sub.add_parser("user", help="manage staff accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a staff account")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, dest="roles")
    add.add_argument("--password", help="read from a prompt when omitted")
    ocr = sub.add_parser("ocr", help="read document images")
    ocr.add_argument("kind")
    ocr.add_argument("images", nargs="+")
    ocr.add_argument("--json", action="store_true")
    ocr.add_argument("--engine")
    sub.add_parser("wechat-menu", help="publish the Official Account menu of the chat bot")
    models = sub.add_parser("ocr-models", help="prepare the paddleocr model folders")
    models.add_argument("--dest")
    from borderpass.gate_bridge.cli import add_commands as add_gate_commands

    add_gate_commands(sub)
    return parser


async def _with_db(settings: Settings, coro_factory: object) -> object:
    from borderpass.core.db import close_db, init_db

    await init_db(settings.db_url)
    try:
        return await coro_factory()  # type: ignore[operator]
    finally:
        await close_db()


async def _settle_heap(app: web.Application) -> None:
    from borderpass.core.loop import settle_heap

    settle_heap()


def _serve(settings: Settings, demo: bool, reuse_port: bool = False) -> None:
    from borderpass.core.app import create_app

    async def build() -> web.Application:
        app_settings = settings
        if demo:
            from borderpass.core.demo import start_demo

            app_settings = await start_demo(settings)
        app = create_app(app_settings)
        if demo:
            from borderpass.core.demo import demo_staff

            app.on_startup.append(demo_staff)
        app.on_startup.append(_settle_heap)
        url = f"http://{settings.host}:{settings.port}"
        print(f"BorderPass on {url} — OpenAPI at {url}/api/v1/openapi.json", flush=True)
        return app

    from borderpass.core.processes import DRAIN

    # SIGTERM: stop accepting, close the lanes' sockets (on_shutdown), let in-flight
    # requests finish for DRAIN seconds at most, then clean up.
    web.run_app(build(), host=settings.host, port=settings.port, print=None, loop=new_loop(),
                reuse_port=reuse_port or None, shutdown_timeout=DRAIN)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``borderpass`` console script."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    setup_logging(settings.log_level)
    if args.command == "serve":
        settings = settings.with_overrides(
            host=args.host or settings.host, port=args.port or settings.port, demo=args.demo)
        if args.processes > 1:
            from borderpass.core.processes import serve_many, shared_state_problem

            if problem := shared_state_problem(settings, args.demo):
                print(problem, file=sys.stderr)
                return 2

            asyncio.run(_with_db(settings, lambda: asyncio.sleep(0)))  # migrations, once
            return serve_many(args.processes, settings.host, settings.port)
        if args.standby:  # a child of `serve --processes`: listens when its parent says
            from borderpass.core.standby import serve_standby

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
        return _sweep(settings)
    if args.command == "worker":
        from borderpass.core.notify_runtime import run_worker_process

        run(run_worker_process(settings))
        return 0
    if args.command == "user":
        return _user_add(settings, args.name, args.roles, args.password)
    if args.command == "ocr":
        from borderpass.ocr.cli import ocr_command

        return int(ocr_command(args.kind, args.images, args.json,
                               args.engine or settings.ocr_engine))
    if args.command == "wechat-menu":
        from borderpass.bot.menu import menu_command

        return menu_command(settings)
    if args.command == "ocr-models":
        from pathlib import Path

        from borderpass.ocr.models_prep import prepare_paddle_models

        dest = Path(args.dest) if args.dest else settings.data_dir / "ocr-models"
        det, rec = prepare_paddle_models(dest)
        print(f"detection model: {det}\nrecognition model: {rec}")
        return 0
    return 2


def _user_add(settings: Settings, name: str, roles: list[str], password: str | None) -> int:
    from borderpass.core.errors import BorderPassError
    from borderpass.services import users

    secret = password or getpass.getpass("password: ")
    try:
        user = asyncio.run(_with_db(settings, lambda: users.add_staff(name, secret, roles)))
    except BorderPassError as exc:
        print(f"error: {exc.code} ({exc.field})", file=sys.stderr)
        return 1
    print(f"created staff user {name} (id {user.id}) with roles {', '.join(roles)}")  # type: ignore[attr-defined]
    return 0


def _sweep(settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from borderpass.core.crypto import FieldCipher, load_data_key
    from borderpass.core.kv import make_redis
    from borderpass.core.storage import FileStore
    from borderpass.services.ports import Deps
    from borderpass.services.sweeps import run_sweeps

    async def sweep() -> object:
        redis = make_redis(settings.redis_url)
        deps = Deps(FieldCipher(load_data_key(settings.data_key, settings.data_dir)),
                    FileStore(settings.data_dir / "uploads"), redis, ZoneInfo(settings.timezone))
        try:
            return await run_sweeps(deps)
        finally:
            await redis.aclose()

    print(run(_with_db(settings, sweep)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
