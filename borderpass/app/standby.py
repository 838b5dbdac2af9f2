"""A server process of ``serve --processes`` that starts ready and listens when told.

The supervisor keeps one such process warm: imports done, database and Redis open,
background tasks running, but no socket bound. When a serving process dies the supervisor
writes ``go`` to the spare's stdin and it listens within milliseconds, instead of the
seconds a fresh interpreter needs before it can serve. Every child of the supervisor
runs this way (the first N are told ``go`` at once). End of stdin (the supervisor died)
before ``go`` ends the spare.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from borderpass.adapters.loop import run, settle_heap
from borderpass.core.config import Settings

GO = b"go"


async def _told_to_go() -> bool:
    """True once ``go`` arrives on stdin; False at its end."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return (await reader.readline()).strip() == GO


async def _serve(settings: Settings) -> None:
    from borderpass.app.factory import create_app
    from borderpass.app.processes import DRAIN

    app = create_app(settings)
    # SIGTERM: stop accepting, close the lanes' sockets (on_shutdown), let in-flight
    # requests finish for DRAIN seconds at most, then clean up.
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=DRAIN)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runner.setup()
    settle_heap()
    try:
        go = asyncio.ensure_future(_told_to_go())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({go, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if go.done() and go.result() and not stop.is_set():
            site = web.TCPSite(runner, settings.host, settings.port, reuse_port=True)
            await site.start()
            url = f"http://{settings.host}:{settings.port}"
            print(f"BorderPass on {url} — OpenAPI at {url}/api/v1/openapi.json", flush=True)
            await stopped
        for task in (go, stopped):
            task.cancel()
    finally:
        await runner.cleanup()


def serve_standby(settings: Settings) -> None:
    """Run one supervised server process until SIGTERM (or the end of stdin before ``go``)."""
    run(_serve(settings))
