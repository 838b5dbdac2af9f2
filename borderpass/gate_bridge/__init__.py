"""The gate bridge door: lane controllers over WebSocket (``/gate/ws``) and HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

log = logging.getLogger("borderpass.gate")
GOING_AWAY = 3.0  # seconds the lanes have to answer our close frame on shutdown


async def _background(app: web.Application) -> AsyncIterator[None]:
    from borderpass.gate_bridge.ws import SOCKETS, relay_commands

    app[SOCKETS] = {}
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay_commands(app, stop))]
    yield  # the lanes were told 1001 on shutdown (_going_away), before this cleanup
    stop.set()
    for task in tasks:
        task.cancel()
        try:
            await asyncio.wait_for(task, 5)
        except (asyncio.CancelledError, TimeoutError):
            pass
        except Exception:  # a loop that died earlier must not stop the shutdown
            log.exception("gate background task had failed")


async def _going_away(app: web.Application) -> None:
    """On shutdown, before in-flight requests are awaited: tell each lane we are going away
    (1001), so it reconnects to another process instead of holding this one open."""
    from borderpass.gate_bridge.ws import SOCKETS

    sockets = [here.ws for here in app.get(SOCKETS, {}).values()]
    if sockets:  # all at once: each close waits for its lane's answer
        await asyncio.wait([asyncio.ensure_future(ws.close(code=1001, message=b"server shutdown"))
                            for ws in sockets], timeout=GOING_AWAY)


def setup_gate(app: web.Application) -> None:
    """Mount ``/gate/ws``, the HTTP fallback and the bridge's background tasks."""
    from borderpass.gate_bridge import views, ws

    app.router.add_get("/gate/ws", ws.lane_socket)
    app.router.add_routes(views.routes)
    app.cleanup_ctx.append(_background)
    app.on_shutdown.append(_going_away)
