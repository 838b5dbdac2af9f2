"""Gate test helpers: declarations with passes, lanes, QR texts at a given moment."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from factories import approved_filing, driver_user

from borderpass.gate_bridge import frames
from borderpass.models import Declaration, User
from borderpass.models.gate import Lane
from borderpass.presenters import crossings as present
from borderpass.services import clock
from borderpass.services.crossings import declarations, pass_tokens, passes
from borderpass.services.gate import gate_decisions, lanes
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import Decision, Scan


async def declared(gate: GateDeps, user: User | None = None, direction: str = "exit",
                   plate: str = "云N12345", name: str = "alice") -> Declaration:
    """An approved exit (or an entry after the exit crossed at a lane) of a fresh filing."""
    from factories import personal_body

    user = user or await driver_user(name)
    filing = await approved_filing(gate.deps, user, personal_body(plate_number=plate))
    driver = await filing.drivers.all().first()
    body = {"filing_id": filing.id, "driver_id": driver.id, "port": "ruili"}
    declaration = await declarations.create(gate.deps, user, body | {"direction": "exit"})
    if direction == "entry":  # R-F7: an entry needs the vehicle abroad per the gate
        await crossed(gate, declaration)
        declaration = await declarations.create(gate.deps, user, body | {"direction": "entry"})
    return declaration


async def crossed(gate: GateDeps, declaration: Declaration, at: datetime | None = None,
                  event_id: str | None = None) -> Decision:
    """The declaration's pass scanned at a lane of its port and direction (a helper lane,
    made once): the gate records the crossing and the trip follows (R-F8)."""
    gate_pass = await issued(gate, declaration)
    direction = declaration.direction.value
    code = f"helper-{declaration.port}-{direction}"
    found = await Lane.get_or_none(code=code)
    if found is None:
        found, _ = await lane(gate, code, direction, port=declaration.port,
                              lane_type="administrative")  # every category (R-G1)
    scan = Scan(event_id or f"helper-scan-{declaration.id}", qr(gate_pass, at), at=at)
    return await gate_decisions.decide(gate, found, scan)


async def issued(gate: GateDeps, declaration: Declaration) -> dict[str, Any]:
    """The pass as the owner's device receives it (secret included)."""
    user = await User.get(id=declaration.declared_by_id)  # type: ignore[attr-defined]
    return present.pass_(await passes.issue(gate, user, declaration.id), user.locale)


def shown(decision: Decision, at_lane: Lane) -> dict[str, str]:
    """The display text the lane shows for a decision (the bridge renders its command)."""
    assert decision.command is not None
    display: dict[str, str] = frames.command(decision.command, at_lane.languages)["display"]
    return display


def qr(gate_pass: dict[str, Any], at: datetime | None = None, code: str | None = None) -> str:
    """The QR text the phone shows at ``at`` (now by default)."""
    import base64

    secret_b32 = gate_pass["totp"]["secret"]
    secret = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    code = code or pass_tokens.current_code(secret, at or clock.now())
    return pass_tokens.qr_text(gate_pass["credential"], code)


async def lane(gate: GateDeps, code: str = "ruili-out-1", direction: str = "exit",
               **extra: Any) -> tuple[Lane, str]:
    """A registered lane and its credential."""
    body = {"code": code, "port": "ruili", "lane_type": "people", "direction": direction,
            "languages": ["zh_CN", "my", "en"], **extra}
    return await lanes.create(gate.deps, body)


async def recv(ws: Any, kind: str | None = None) -> dict[str, Any]:
    """The next frame a lane's WebSocket receives (of ``kind`` if given, others skipped)."""
    while True:
        frame: dict[str, Any] = json.loads((await ws.receive(timeout=5)).data)
        if kind is None or frame["type"] == kind:
            return frame


async def connect(client: Any, code: str, token: str) -> Any:
    """A lane's WebSocket past its hello: the first frame back is the welcome, for that lane."""
    ws = await client.ws_connect("/gate/ws")
    await ws.send_json({"type": "hello", "event_id": "h1", "lane": code, "credential": token})
    welcome = await recv(ws)
    assert welcome["type"] == "welcome", welcome
    assert welcome["keys"] and welcome["lane"]["code"] == code
    return ws
