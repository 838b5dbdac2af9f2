"""The event loop every BorderPass process runs on: uvloop where installed, else asyncio's."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop (Linux, macOS): about half asyncio's CPU per request and per Redis call."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on :func:`new_loop`."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(coro)


def settle_heap() -> None:
    """After start-up: move every object made so far out of the collector's sight and make
    young collections rarer, so a long-lived server pauses less (no full scans of modules,
    models and caches every few thousand allocations; the latency tail of the gate)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
