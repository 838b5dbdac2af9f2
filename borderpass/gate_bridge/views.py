"""HTTP fallback for scanners without WebSocket, and the public keys for offline checks."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from borderpass.core.errors import FieldError, TooLarge, Unauthorized
from borderpass.gate_bridge import frames, protocol
from borderpass.gate_bridge.dispatch import handle
from borderpass.models.gate import Lane
from borderpass.services.gate import gate_commands, lanes
from borderpass.services.gate.lane_events import LaneMessage
from borderpass.web.appkeys import GATE

routes = web.RouteTableDef()


async def _lane(request: web.Request) -> Lane:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized("lane_credentials", "lane")
    gate = request.app[GATE]
    return await lanes.authenticate(gate.deps, gate.lanes, request.match_info["lane"],
                                    token.strip())


async def _frame(request: web.Request, kind: str | None) -> LaneMessage:
    raw = await request.content.read(protocol.MAX_FRAME_BYTES + 1)
    if len(raw) > protocol.MAX_FRAME_BYTES:
        raise TooLarge("too_large", "body", max=protocol.MAX_FRAME_BYTES)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FieldError("frame_json", "body") from exc
    if not isinstance(body, dict):
        raise FieldError("frame_json", "body")
    if kind is not None:
        body = {"type": kind, **body}
    if body.get("type") not in protocol.LANE_TYPES or body.get("type") == "hello":
        raise FieldError("frame_type", "type", type=str(body.get("type"))[:40])
    return protocol.check(body)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=protocol.dumps)


def _answer(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/json")


@routes.post("/gate/lanes/{lane}/scans")
async def post_scan(request: web.Request) -> web.Response:
    """One scan; the answer is the command the lane must execute (then ack it)."""
    lane = await _lane(request)
    return _answer(await handle(request.app[GATE], lane, await _frame(request, "scan")))


@routes.post("/gate/lanes/{lane}/events")
async def post_event(request: web.Request) -> web.Response:
    """Any other lane frame (ack, status, fault, lift_request, offline_batch, ping)."""
    lane = await _lane(request)
    return _answer(await handle(request.app[GATE], lane, await _frame(request, None)))


@routes.get("/gate/lanes/{lane}/commands")
async def get_commands(request: web.Request) -> web.Response:
    """The lane's unacknowledged commands (for scanners that poll)."""
    lane = await _lane(request)
    pending = await gate_commands.pending(request.app[GATE], lane.code)
    return _json({"items": [frames.command(c, lane.languages) for c in pending]})


@routes.get("/gate/keys")
async def get_keys(request: web.Request) -> web.Response:
    """The pass-verifying public keys by key id, for lane controllers' offline checks."""
    return _json({"keys": await request.app[GATE].keys.published()})
