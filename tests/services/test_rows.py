"""Hand-written hot-path SQL (adapters/rows.py) gives what the ORM would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import approved_filing, driver_user

from borderpass.adapters import rows
from borderpass.models import Declaration, Trip
from borderpass.models.enums import DeclarationStatus, Direction, TripStatus
from borderpass.services import clock

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def test_insert_matches_the_orm(deps) -> None:
    clock.freeze(T0)
    user = await driver_user()
    filing = await approved_filing(deps, user)
    driver = await filing.drivers.all().first()
    made = await rows.insert(Declaration, filing=filing, driver=driver, declared_by=user,
                             direction=Direction.EXIT, port="ruili", planned_at=T0)
    stored = await Declaration.get(id=made.id)
    assert made.id and stored.status is DeclarationStatus.APPROVED  # the field's default
    assert (stored.filing_id, stored.driver_id, stored.declared_by_id) == (  # type: ignore[attr-defined]
        filing.id, driver.id, user.id)
    assert stored.direction is Direction.EXIT and stored.planned_at == T0
    assert stored.created_at is not None and stored.cancelled_at is None  # auto_now_add
    trip = await rows.insert(Trip, filing=filing, exit_declaration=made, exited_at=T0,
                             deadline=T0)
    again = await Trip.get(id=trip.id)
    assert again.status is TripStatus.OPEN and again.exit_declaration_id == made.id  # type: ignore[attr-defined]
    assert again.deadline == T0 and again.returned_at is None
    assert await Trip.filter(filing=filing).count() == 1
