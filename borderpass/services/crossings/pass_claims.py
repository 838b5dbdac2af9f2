"""A pass's one use (R-G2): a crossing in the database, unique per declaration and direction.

The first valid scan of a declaration's pass inserts its crossing and marks the declaration
used in the same commit; a later scan finds it used and is refused. A cancellation updates
the same declaration row only while it is approved and has no crossing, and the scan locks
that row while it takes the release, so a pass cannot be used and cancelled at once:
whichever commits first wins (issue 17: Redis holds none of this).
"""

from __future__ import annotations

from datetime import timedelta

from borderpass.models.gate import Crossing

VALID_BEFORE = timedelta(hours=12)  # a pass works from 12 h before the planned crossing …
VALID_AFTER = timedelta(hours=36)  # … to 36 h after it


async def crossed(declaration_id: int, direction: str) -> bool:
    """Whether the pass already let its vehicle through (R-G2)."""
    return await Crossing.exists(declaration_id=declaration_id, direction=direction)
