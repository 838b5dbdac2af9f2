"""Which lanes are connected now, across every bridge process: one Redis key per lane.

The gate bridge writes ``gate:online:{lane}`` while a lane's WebSocket lives
(``gate_bridge/presence.py``); any door reads it here — the console's lanes page — without
importing the bridge (doors do not import each other).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any

from borderpass.services.ports import KeyValue

PREFIX = "gate:online:"


def key(lane: str) -> str:
    """The Redis key holding ``lane``'s presence."""
    return PREFIX + lane


async def online(kv: KeyValue, lanes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The presence of each connected lane among ``lanes`` (absent: offline)."""
    if not lanes:
        return {}
    values = await kv.mget([key(code) for code in lanes])
    found: dict[str, dict[str, Any]] = {}
    for code, raw in zip(lanes, values, strict=True):
        if raw is not None:
            with contextlib.suppress(ValueError):
                found[code] = json.loads(raw)
    return found
