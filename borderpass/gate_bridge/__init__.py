"""The gate bridge door: lane controllers over WebSocket (``/gate/ws``) and HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web


async def _background(app: web.Application) -> AsyncIterator[None]:
    from borderpass.gate_bridge.ws import SOCKETS, relay_commands

    app[SOCKETS] = {}
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay_commands(app, stop))]
    yield
    for ws in list(app[SOCKETS].values()):
        await ws.close(code=1001, message=b"server shutdown")
    stop.set()
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 5)


def setup_gate(app: web.Application) -> None:
    """Mount ``/gate/ws``, the HTTP fallback and the bridge's background tasks."""
    from borderpass.gate_bridge import views, ws

    app.router.add_get("/gate/ws", ws.lane_socket)
    app.router.add_routes(views.routes)
    app.cleanup_ctx.append(_background)
