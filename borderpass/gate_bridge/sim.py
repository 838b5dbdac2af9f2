"""``borderpass lane-sim``: simulated lane controllers speaking PROTOCOL.md over WebSocket.

Each lane sends scans on a fixed schedule (open loop: latency counts from the scheduled
send time, so a slow bridge cannot hide its queue), acks every command, and records what
the bridge decided. The mix covers valid, replayed, expired, forged, wrong-direction and
blacklisted passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import base45

from borderpass.gate_bridge import protocol
from borderpass.gate_bridge.sim_seed import SimPass, SimWorld
from borderpass.services import clock
from borderpass.services.crossings import pass_tokens

CONNECT_GRACE = 1.0  # seconds for every lane to connect before the first scan is due
RECEIPT = '{"type":"receipt"'  # how the bridge's receipts begin (protocol.dumps)
ANSWER_TIMEOUT = 30.0  # seconds after the last scan an unanswered one is a timeout
MIX = {"valid": 0.6, "replayed": 0.1, "expired": 0.08, "forged": 0.08,
       "wrong_direction": 0.07, "blacklisted": 0.07}
EXPECTED = {"valid": "pass_valid", "replayed": "pass_used", "expired": "pass_expired",
            "forged": "pass_forged", "wrong_direction": "wrong_direction",
            "blacklisted": "blacklisted"}


@dataclass
class Outcome:
    """One scan as the lane saw it."""

    kind: str
    action: str
    reason: str
    latency_ms: float  # from the moment the scan was sent: the bridge's decision latency
    scheduled_ms: float = 0.0  # from the moment it was due (the generator's delay added)


@dataclass
class Report:
    """Everything the run observed."""

    outcomes: list[Outcome] = field(default_factory=list)
    offered: int = 0
    seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    # How late each scan left this process (its timers and queueing), in ms.
    send_late_ms: list[float] = field(default_factory=list)

    def percentile(self, p: float, kind: str | None = None, scheduled: bool = False) -> float:
        """Latency percentile in ms (all scans, or one kind's), from the send or, with
        ``scheduled``, from the moment the scan was due (open loop: a generator held up by
        a slow bridge cannot hide the bridge's queue)."""
        values = sorted(o.scheduled_ms if scheduled else o.latency_ms
                        for o in self.outcomes if kind is None or o.kind == kind)
        return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else 0.0


def forge(credential: str) -> str:
    """The credential with one byte of its signed part changed (plate or dates)."""
    raw = bytearray(base45.b45decode(credential))
    raw[8] ^= 0x01
    return str(base45.b45encode(bytes(raw)).decode("ascii"))


@functools.lru_cache(maxsize=4096)
def _code(secret: bytes, step: int) -> str:
    """The phone's rotating code in a 30 s step (worked out once per pass and step)."""
    return pass_tokens.current_code(secret, datetime.fromtimestamp(step * pass_tokens.STEP, UTC))


class Picker:
    """Hands out passes of each kind; valid passes once, replays from the used ones."""

    def __init__(self, world: SimWorld, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fresh = list(world.passes.get("valid", []))
        self.used: list[SimPass] = []
        self.world = world

    def next(self) -> tuple[str, str, str]:
        """(kind, qr text, camera plate) of the next scan."""
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if (kind == "replayed" and not self.used) or (kind == "valid" and not self.fresh):
            kind = "forged" if not self.fresh else "valid"
        if kind == "valid":
            p = self.fresh.pop()
            self.used.append(p)
        elif kind in ("replayed", "forged"):
            p = self.rng.choice(self.used or self.fresh or self.world.passes["expired"])
        else:
            p = self.rng.choice(self.world.passes[kind])
        credential = forge(p.credential) if kind == "forged" else p.credential
        code = _code(p.secret, int(clock.now().timestamp()) // pass_tokens.STEP)
        return kind, pass_tokens.qr_text(credential, code), p.plate


class SimLane:
    """One simulated lane controller on one WebSocket."""

    def __init__(self, url: str, code: str, token: str) -> None:
        self.url, self.code, self.token = url, code, token
        # Scans sent and not yet answered: event id → (kind, when due, when sent).
        self.waiting: dict[str, tuple[str, float, float]] = {}
        self.answered = asyncio.Event()  # set whenever nothing is waiting
        self.answered.set()
        self.ids = itertools.count()
        self.run_id = secrets.token_hex(4)  # event ids stay unique across runs

    async def run(self, session: aiohttp.ClientSession, picker: Picker, rate: float,
                  seconds: float, report: Report, verbose: bool = False,
                  first_due: float | None = None) -> None:
        """Scan at ``rate`` per second for ``seconds`` from ``first_due`` (a perf_counter
        moment; default: once connected), recording every decision; a scan unanswered
        :data:`ANSWER_TIMEOUT` seconds after the last was sent counts as a timeout."""
        async with session.ws_connect(f"{self.url}/gate/ws", max_msg_size=0) as ws:
            await ws.send_str(protocol.dumps({"type": "hello", "event_id": f"{self.code}-h",
                                              "lane": self.code, "credential": self.token}))
            welcome = await ws.receive_json()
            if welcome.get("type") != "welcome":
                raise RuntimeError(f"lane {self.code}: {welcome}")
            reader = asyncio.create_task(self._read(ws, report, verbose))
            interval = 1.0 / rate
            start = time.perf_counter() if first_due is None else first_due
            for n in range(int(rate * seconds)):
                due = start + n * interval
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)  # uvloop's timers: whole ms, early or late
                kind, text, plate = picker.next()
                event_id = f"{self.code}-{self.run_id}-{next(self.ids)}"
                self.answered.clear()
                report.offered += 1
                frame = {"type": "scan", "event_id": event_id, "qr": text}
                if plate and n % 2:
                    frame["plate"] = plate
                wire = protocol.dumps(frame)
                sent = time.perf_counter()
                self.waiting[event_id] = (kind, due, sent)
                await ws.send_str(wire)
                report.send_late_ms.append((sent - due) * 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.answered.wait(), ANSWER_TIMEOUT)
            if self.waiting:
                report.errors["timeout"] += len(self.waiting)
            self.waiting.clear()
            reader.cancel()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, report: Report,
                    verbose: bool) -> None:
        async for msg in ws:
            received = time.perf_counter()
            if msg.type is aiohttp.WSMsgType.TEXT and msg.data.startswith(RECEIPT):
                continue  # the bridge took an ack: nothing to record
            frame = msg.json()
            if frame.get("type") == "command":
                await ws.send_str(protocol.dumps({"type": "ack", "event_id":
                                                  f"{frame['event_id']}-ack",
                                                  "command_id": frame["event_id"]}))
                waiting = self.waiting.pop(str(frame.get("in_reply_to")), None)
                if waiting is None:
                    continue
                kind, due, sent = waiting  # a scan sent early counts from its send
                report.outcomes.append(Outcome(kind, frame["action"], frame["reason"],
                                               (received - sent) * 1000,
                                               (received - min(due, sent)) * 1000))
                if not self.waiting:
                    self.answered.set()
                if verbose:
                    print(f"{self.code} {kind:>15} → {frame['action']:<4} "
                          f"{frame['reason']:<16} {frame['display'].get('en', '')}")
            elif frame.get("type") == "error":
                report.errors[str(frame.get("code"))] += 1


async def run(url: str, world: SimWorld, rate: float, seconds: float, seed: int = 1,
              verbose: bool = False, picker: Picker | None = None) -> Report:
    """Drive every seeded lane at rate/len(lanes) scans per second each.

    Pass the same ``picker`` to successive runs so no valid pass is shown twice.
    """
    report, picker = Report(), picker or Picker(world, seed)
    per_lane = rate / len(world.lanes)
    started = time.perf_counter()
    # Lanes are independent: lane i starts i/rate seconds after lane 0, so the scans of all
    # lanes arrive evenly at ``rate`` per second instead of every lane at the same instant.
    first = started + CONNECT_GRACE
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(SimLane(url, code, token).run(session, picker, per_lane, seconds,
                                                              report, verbose, first + i / rate)
                               for i, (code, token) in enumerate(world.lanes)))
    report.seconds = time.perf_counter() - started
    return report


def render(report: Report) -> str:
    """A table of decisions by kind, with latency percentiles."""
    lines = [f"{'scan kind':<16} {'n':>6} {'decisions':<40} {'p50 ms':>7} {'p99 ms':>7}"]
    kinds = Counter(o.kind for o in report.outcomes)
    for kind in MIX:
        got = Counter(f"{o.action}:{o.reason}" for o in report.outcomes if o.kind == kind)
        text = ", ".join(f"{k} {v}" for k, v in got.most_common(3))
        lines.append(f"{kind:<16} {kinds[kind]:>6} {text:<40} "
                     f"{report.percentile(50, kind):>7.2f} {report.percentile(99, kind):>7.2f}")
    done = len(report.outcomes)
    lines.append(f"{'all':<16} {done:>6} offered {report.offered} in {report.seconds:.1f} s "
                 f"= {done / max(report.seconds, 1e-9):.0f} decisions/s; p50 "
                 f"{report.percentile(50):.2f} ms, p99 {report.percentile(99):.2f} ms, "
                 f"max {report.percentile(100):.2f} ms; from the schedule p99 "
                 f"{report.percentile(99, scheduled=True):.2f} ms")
    if report.errors:
        lines.append(f"errors: {dict(report.errors)}")
    return "\n".join(lines)
