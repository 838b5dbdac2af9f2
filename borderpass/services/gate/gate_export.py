"""Export vehicles at the lane: only a VIN on a cleared export licence leaves (R-E3, R-E7).

A used car exported as goods has no driver's pass: the lane reads its VIN (a VIN reader or
the guard's handheld) and the bridge opens only for a vehicle on a cleared licence that has
not left yet. The exit recorded here starts nothing new but is what the enterprise's
cancellation (R-E7) must come after. One vehicle, one release (R-G2): the exit row is unique
per licence vehicle, so two lanes reading the same VIN at once open exactly one pole.
"""

from __future__ import annotations

from datetime import datetime

from borderpass.core.errors import Conflict, FieldError
from borderpass.models.gate import Lane, LaneType
from borderpass.services.export import obligations
from borderpass.services.validators import check_vin

# Export cars are goods: they go through the goods lanes, never the people's lanes (R-G1).
EXPORT_LANES = frozenset({LaneType.BONDED_GOODS, LaneType.NON_BONDED_GOODS})
# Licence-vehicle states that make a filed vehicle an export vehicle not free to leave.
NOT_CLEARED = frozenset({"applied", "left_off"})


async def decide_vin(lane: Lane, vin: str, at: datetime) -> str:
    """The reason for a VIN-only scan; ``export_cleared`` opens the pole."""
    if lane.direction != "exit":
        return "wrong_direction"
    if lane.lane_type not in EXPORT_LANES:  # R-G1
        return "wrong_lane_type"
    try:
        canonical = check_vin(vin)
    except FieldError:
        return "vin_invalid"
    try:  # recording the exit is the check: only a cleared vehicle, once (R-E3, R-G2)
        await obligations.record_exit(canonical, source="gate", port=lane.port, at=at)
    except Conflict:  # its exit is on record: left already, or another lane was first
        return "export_already_left"
    except FieldError:  # on no cleared licence (or not yet cleared at that moment)
        return "export_not_cleared"
    return "export_cleared"
