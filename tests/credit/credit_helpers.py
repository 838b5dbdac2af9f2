"""Credit test flows through the doors: crossings at the gate, the sweeps' credit loop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_helpers import Caller
from gate_helpers import crossed

from borderpass.models import Declaration
from borderpass.services import clock
from borderpass.services.sweeps import run_sweeps
from borderpass.web.appkeys import DEPS, GATE


async def declare(caller: Caller, filing_id: int, direction: str = "exit") -> tuple[int, Any]:
    """A declaration through the API by the filing's first driver."""
    _, filing = await caller.call("GET", f"/api/v1/filings/{filing_id}")
    body = {"filing_id": filing_id, "driver_id": filing["drivers"][0]["id"],
            "direction": direction, "port": "ruili"}
    return await caller.call("POST", "/api/v1/declarations", json=body)


async def round_trip(client: Any, caller: Caller, filing_id: int) -> None:
    """Out and back within a day: an on-time trip (R-P2.4)."""
    for direction in ("exit", "entry"):
        status, body = await declare(caller, filing_id, direction)
        assert status == 201, body
        await crossed(client.app[GATE], await Declaration.get(id=body["id"]))
        clock.freeze(clock.now() + timedelta(hours=6))


async def sweep(client: Any) -> dict[str, int]:
    """One run of the sweeps (the credit loop among them), as the worker runs it."""
    result = await run_sweeps(client.app[DEPS])
    assert result is not None
    return result


async def my_credit(caller: Caller) -> dict[str, Any]:
    """The caller's one party's credit (GET /api/v1/me/credit)."""
    status, body = await caller.call("GET", "/api/v1/me/credit")
    assert status == 200, body
    (party,) = body["items"]
    return party  # type: ignore[no-any-return]
