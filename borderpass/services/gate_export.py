"""Export vehicles at the lane: only a VIN on a cleared export licence leaves (R-E3, R-E7).

A used car exported as goods has no driver's pass: the lane reads its VIN (a VIN reader or
the guard's handheld) and the bridge opens only for a vehicle on a cleared licence that has
not left yet. The exit recorded here starts nothing new but is what the enterprise's
cancellation (R-E7) must come after. One vehicle, one release (R-G2): the exit row is unique
per licence vehicle, so two lanes reading the same VIN at once open exactly one pole.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from borderpass.core.errors import Conflict, FieldError
from borderpass.models.gate import Lane, LaneType
from borderpass.services.export import obligations
from borderpass.services.validators import check_vin

# Export cars are goods: they go through the goods lanes, never the people's lanes (R-G1).
EXPORT_LANES = frozenset({LaneType.BONDED_GOODS, LaneType.NON_BONDED_GOODS})
# Licence-vehicle states that make a filed vehicle an export vehicle not free to leave.
NOT_CLEARED = frozenset({"applied", "left_off"})


async def decide_vin(lane: Lane, vin: str, at: datetime) -> tuple[str, str]:
    """(reason, canonical VIN) of a VIN-only scan; reason ``export_cleared`` opens the pole."""
    if lane.direction != "exit":
        return "wrong_direction", vin
    if lane.lane_type not in EXPORT_LANES:  # R-G1
        return "wrong_lane_type", vin
    try:
        canonical = check_vin(vin)
    except FieldError:
        return "vin_invalid", vin
    if not await obligations.vin_cleared_for_exit(canonical):  # R-E3: only cleared vehicles
        left = await obligations.has_left(canonical)
        return ("export_already_left" if left else "export_not_cleared"), canonical
    try:
        await obligations.record_exit(canonical, source="gate", port=lane.port, at=at)
    except (Conflict, FieldError):  # another lane recorded it first (R-G2)
        return "export_already_left", canonical
    return "export_cleared", canonical


async def record_pass_exit(lane: Lane, vin: str, at: datetime) -> None:
    """A cleared export vehicle that left on a driver's pass: record its exit too (R-E7)."""
    # Already recorded (a retried scan) or no longer cleared: nothing to add.
    with suppress(Conflict, FieldError):
        await obligations.record_exit(vin, source="gate", port=lane.port, at=at)
