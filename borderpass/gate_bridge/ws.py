"""``/gate/ws``: one WebSocket per lane controller, authenticated by its first ``hello``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from borderpass.core.errors import BorderPassError, FieldError, Unauthorized
from borderpass.gate_bridge import frames, presence, protocol
from borderpass.gate_bridge.dispatch import handle
from borderpass.models.gate import Lane
from borderpass.presenters import gate as present
from borderpass.services import clock
from borderpass.services.gate import gate_commands, lanes, ledger
from borderpass.services.gate.lane_events import Hello
from borderpass.web.appkeys import GATE, REDIS

log = logging.getLogger("borderpass.gate")
HELLO_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Connected:
    """A lane's socket here, with the languages its commands are displayed in."""

    ws: web.WebSocketResponse
    languages: list[str]


SOCKETS = web.AppKey("lane_sockets", dict[str, Connected])
CLOSE_AUTH, CLOSE_PROTOCOL, CLOSE_REPLACED = 4401, 4400, 4409


async def _send(ws: web.WebSocketResponse, frame: dict[str, Any] | str) -> None:
    # A lane that went away gets its commands again when it reconnects (outbox).
    if not ws.closed:
        with contextlib.suppress(ConnectionResetError):
            await ws.send_str(frame if isinstance(frame, str) else protocol.dumps(frame))


async def _hello(request: web.Request, ws: web.WebSocketResponse) -> Lane | None:
    """Authenticate the lane from its first frame; None (socket closed) when that fails."""
    gate = request.app[GATE]
    try:
        msg = await ws.receive(timeout=HELLO_TIMEOUT)
    except TimeoutError:
        await ws.close(code=CLOSE_PROTOCOL, message=b"hello expected")
        return None
    if msg.type is not WSMsgType.TEXT:
        await ws.close(code=CLOSE_PROTOCOL, message=b"hello expected")
        return None
    event_id = None
    try:
        message = protocol.parse(msg.data)
        event_id = message.event_id
        if not isinstance(message, Hello):
            raise FieldError("frame_hello_first", "type")
        return await lanes.authenticate(gate.deps, gate.lanes, message.lane,
                                        message.credential)
    except BorderPassError as err:
        await _send(ws, protocol.error_frame(err, ["zh_CN", "en"], event_id))
        code = CLOSE_AUTH if isinstance(err, Unauthorized) else CLOSE_PROTOCOL
        await ws.close(code=code, message=err.code.encode())
        return None


async def _welcome(request: web.Request, ws: web.WebSocketResponse, lane: Lane,
                   hello_id: str) -> None:
    gate = request.app[GATE]
    pending = await gate_commands.pending(gate, lane.code)
    await _send(ws, {"type": "welcome", "in_reply_to": hello_id, "lane": present.lane(lane),
                     "keys": await gate.keys.published(), "heartbeat": protocol.HEARTBEAT,
                     "server_time": clock.now().isoformat(), "pending": len(pending)})
    for command in pending:  # unacknowledged commands are sent again after a reconnect
        await _send(ws, frames.command_text(command, lane.languages))


async def lane_socket(request: web.Request) -> web.StreamResponse:
    """Serve one lane controller until it disconnects."""
    ws = web.WebSocketResponse(heartbeat=protocol.HEARTBEAT,
                               max_msg_size=protocol.MAX_FRAME_BYTES)
    await ws.prepare(request)
    lane = await _hello(request, ws)
    if lane is None:
        return ws
    sockets = request.app[SOCKETS]
    if (old := sockets.get(lane.code)) is not None:
        await old.ws.close(code=CLOSE_REPLACED, message=b"replaced by a new connection")
    sockets[lane.code] = Connected(ws, list(lane.languages))
    await ledger.record(ledger.entry("connect", lane.code, outcome="online"))
    try:
        async with presence.present(request.app[REDIS], lane.code):  # the console's "online"
            await _welcome(request, ws, lane, "hello")
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await _serve_frame(request, ws, lane, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await _send(ws, protocol.error_frame(FieldError("frame_json", "frame"),
                                                         lane.languages, None))
    finally:
        if (here := sockets.get(lane.code)) is not None and here.ws is ws:
            del sockets[lane.code]
        with contextlib.suppress(Exception):
            await ledger.record(ledger.entry("disconnect", lane.code, outcome="offline"))
    return ws


async def _serve_frame(request: web.Request, ws: web.WebSocketResponse, lane: Lane,
                       text: str) -> None:
    event_id = None
    try:
        message = protocol.parse(text)
        event_id = message.event_id
        if isinstance(message, Hello):
            raise FieldError("frame_type", "type", type="hello")
        await _send(ws, await handle(request.app[GATE], lane, message))
    except BorderPassError as err:
        await _send(ws, protocol.error_frame(err, lane.languages, event_id))
    except Exception:
        log.exception("lane frame failed", extra={"lane": lane.code})
        await _send(ws, protocol.error_frame(BorderPassError("internal"), lane.languages,
                                             event_id))


RETRY_FIRST, RETRY_MAX = 0.1, 1.0  # seconds between attempts to reach Redis again


async def relay_commands(app: web.Application, stop: asyncio.Event) -> None:
    """Forward commands announced on Redis (from any instance) to lanes connected here.

    Survives Redis outages: it logs once, tries again with a growing pause (at most
    RETRY_MAX), and once subscribed again resends every connected lane's unacknowledged
    commands from the outbox, so a command announced while Redis was away reaches its lane
    within about a second of Redis returning (R-G4, R-G5)."""
    pause, down_since = RETRY_FIRST, None
    while not stop.is_set():
        try:
            await _relay(app, stop, resend=down_since is not None)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # redis errors, a closed connection, a failed resend
            if down_since is None:
                down_since = clock.now()
                log.error("command relay lost Redis (%s); retrying", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            pause = min(pause * 2, RETRY_MAX)
            continue


async def _relay(app: web.Application, stop: asyncio.Event, resend: bool) -> None:
    prefix = gate_commands.channel("")
    pubsub = app[REDIS].pubsub()
    try:
        await pubsub.psubscribe(prefix + "*")
        if resend:  # announced while we were away: the outbox has them
            log.warning("command relay back on Redis; resending unacknowledged commands")
            await _resend(app)
        # redis-py may swallow a cancellation inside a read, so the loop also checks ``stop``.
        while not stop.is_set():
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if msg is None:
                continue
            channel = msg["channel"].decode() if isinstance(msg["channel"], bytes) \
                else msg["channel"]
            here = app[SOCKETS].get(channel.removeprefix(prefix))
            if here is not None:  # the command as announced; its frame is rendered here
                data = msg["data"]
                stored = data.decode() if isinstance(data, bytes) else data
                await _send(here.ws, frames.stored_command_text(stored, here.languages))
    finally:
        with contextlib.suppress(Exception):
            await pubsub.aclose()


async def _resend(app: web.Application) -> None:
    """Send each lane connected here its unacknowledged commands (lanes drop duplicates by
    command id)."""
    sockets = app[SOCKETS]
    for code, commands in (await gate_commands.pending_lanes(list(sockets))).items():
        if (here := sockets.get(code)) is not None:
            for command in commands:
                await _send(here.ws, frames.command_text(command, here.languages))
