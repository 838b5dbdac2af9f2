"""Lane commands (open / deny / hold) through an outbox: kept until the lane acks them.

A command is a :class:`~borderpass.services.gate.lane_events.Command`; the outbox and Redis
carry it in its own format (:meth:`Command.dumps`) and the bridge renders the frame the
lane receives (``gate_bridge/frames.py``).

A command is committed in the lane's outbox (``gate_commands``, with its ledger entries)
before it is published on the lane's Redis channel, so whichever bridge instance holds the
lane's connection sends it, a lane that reconnects gets every unacknowledged command again,
and a Redis outage delays a command but never loses it (the relay resends the outbox when
Redis is back; DESIGN.md: nothing is lost).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.models.gate import Lane, LaneCommand
from borderpass.services import clock
from borderpass.services.gate import gate_record, ledger
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.lane_events import Ack, Command

ACTIONS = ("open", "deny", "hold")
PENDING_LIMIT = 500  # unacknowledged commands resent at most, oldest first
log = logging.getLogger("borderpass.gate")


def channel(lane_code: str) -> str:
    """The pub/sub channel a lane's commands are announced on."""
    return f"gate:lane:{lane_code}"


def build(lane: Lane, event_id: str, action: str, reason: str, **extra: Any) -> Command:
    """One command to ``lane``, issued now; ``extra`` are its further fields, in order."""
    return Command(lane.code, event_id, action, reason, clock.now().isoformat(), extra)


def ledger_entry(lane: Lane, command: Command) -> str:
    """The ledger entry of a command sent to the lane (R-G6)."""
    return ledger.entry(
        "command", lane.code, event_id=command.event_id, outcome=command.action,
        reason=command.reason, declaration_id=command.extras.get("declaration_id"),
        plate=command.plate, actor=command.actor)


async def send(gate: GateDeps, lane: Lane, command: Command,
               extra_ledger: Sequence[str] = (),
               release: gate_record.Release | None = None) -> Command:
    """Commit a command in the outbox (see :func:`store`), then announce it."""
    async with in_transaction() as tx:
        text = await store(tx, lane, command, extra_ledger, release)
    await announce(gate, lane.code, text)
    return command


async def store(tx: BaseDBAsyncClient, lane: Lane, command: Command,
                extra_ledger: Sequence[str] = (),
                release: gate_record.Release | None = None) -> str:
    """Put a command in the outbox with its ledger entries and ``extra_ledger`` (R-G6) and,
    when it lets a vehicle through, its crossing, inside ``tx``; the command as stored."""
    text = command.dumps()
    now = clock.now()
    if release is not None:
        await gate_record.insert_crossings(tx, [(release, lane.code, command.event_id, now)])
    await gate_record.enqueue(tx, [(lane.code, command.event_id, text)], now)
    await ledger.write([*extra_ledger, ledger_entry(lane, command)], tx)
    return text


async def announce(gate: GateDeps, lane_code: str, text: str) -> None:
    """Publish a committed command to whichever instance holds the lane. Best effort: if
    Redis is down, the relay resends the outbox when it is back."""
    try:
        await gate.deps.kv.publish(channel(lane_code), text)
    except Exception:  # redis errors and a closed pool alike
        log.warning("command not announced (Redis); resent from the outbox when it is back",
                    extra={"lane": lane_code})


async def pending(gate: GateDeps, lane_code: str) -> list[Command]:
    """The lane's unacknowledged commands, oldest first (resent on reconnect)."""
    rows = await LaneCommand.filter(lane_code=lane_code, acked_at=None).order_by("id") \
        .limit(PENDING_LIMIT).values_list("frame", flat=True)
    return [Command.loads(str(r)) for r in rows]


async def pending_lanes(lane_codes: Sequence[str]) -> dict[str, list[Command]]:
    """Unacknowledged commands of these lanes (the relay's resend after an outage)."""
    found: dict[str, list[Command]] = {}
    if lane_codes:
        rows = await LaneCommand.filter(lane_code__in=list(lane_codes), acked_at=None) \
            .order_by("id").limit(PENDING_LIMIT).values_list("lane_code", "frame")
        for code, stored in rows:
            found.setdefault(str(code), []).append(Command.loads(str(stored)))
    return found


def ack_entry(lane: Lane, ack: Ack, known: bool) -> str:
    """The ledger entry of an ack; one for a command never sent is flagged (a guard cannot
    open the pole by acking a command never sent)."""
    return ledger.entry(
        "ack", lane.code, event_id=ack.event_id, outcome=ack.result, reason=ack.command_id,
        flagged=not known, detail={"command_id": ack.command_id, "known": known})


def unknown_variant(known_entry: str) -> str:
    """The ledger entry of an ack for a command never sent, from the entry for a known one:
    flagged, and ``known`` false. Inside JSON strings every quote is escaped, so the two
    markers can only be the fields themselves."""
    return known_entry.replace('"flagged":false', '"flagged":true', 1) \
        .replace('"known":true', '"known":false', 1)
