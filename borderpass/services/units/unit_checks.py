"""Checks of the credit pass list itself, across units and filings (R-U5, R-U6).

A single filing already holds at most two drivers of a self-use vehicle, one the owner
(``filing_checks``, at submission). The list outlives a filing (renewals, edits), so the
list keeps its own count per vehicle: the drivers of a self-use vehicle on live entries,
whichever filing and unit they came through.
"""

from __future__ import annotations

from dataclasses import dataclass

from borderpass.core.errors import Conflict, FieldError, Forbidden
from borderpass.models.units import LIVE_MEMBER_STATES, Membership
from borderpass.services.crossings import dishonesty
from borderpass.services.filings import subjects
from borderpass.services.filings.requirements import MAX_PERSONAL_DRIVERS


@dataclass(frozen=True)
class Candidate:
    """Who wants onto the list with which vehicle, as blind-index keys."""

    person_key: str
    vehicle_key: str
    owner_key: str | None
    self_use: bool
    plate_number: str = ""

    @property
    def is_owner(self) -> bool:
        """The person is the registered owner of the self-use vehicle."""
        return self.owner_key is not None and self.person_key == self.owner_key


async def check_candidate(candidate: Candidate) -> None:
    """Refuse a person or vehicle already listed, over R-U5's limits, or dishonest (R-U6)."""
    if await subjects.active_entry([candidate.person_key, candidate.owner_key]):
        raise Forbidden("member_dishonest", "driver_id")  # R-U6
    if await dishonesty.in_force([candidate.person_key],
                                 [candidate.vehicle_key, candidate.plate_number]):
        raise Forbidden("member_dishonest", "driver_id")  # R-U6: until the record ends
    rows = await Membership.filter(vehicle_key=candidate.vehicle_key,
                                   status__in=LIVE_MEMBER_STATES).values("person_key",
                                                                          "is_owner")
    drivers = {str(r["person_key"]): bool(r["is_owner"]) for r in rows}
    if candidate.person_key in drivers:
        # One entry per person and vehicle: the unit that verified it manages it (R-U4).
        raise Conflict("member_already_listed", "driver_id")
    if not candidate.self_use:
        return  # R-U5: a unit vehicle may list two or more drivers
    if len(drivers) >= MAX_PERSONAL_DRIVERS:  # R-U5
        raise FieldError("list_personal_max_drivers", "driver_id", max=MAX_PERSONAL_DRIVERS)
    last_slot = len(drivers) == MAX_PERSONAL_DRIVERS - 1
    if last_slot and not candidate.is_owner and not any(drivers.values()):  # R-U5
        raise FieldError("list_owner_slot", "driver_id")
