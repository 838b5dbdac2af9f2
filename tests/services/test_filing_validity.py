"""The one "approved and unexpired" rule (R-F7): the filings a door offers to declare on
are exactly the ones the declaration service accepts."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import approved_filing, driver_user, submitted_filing

from borderpass.models import Filing
from borderpass.services import clock
from borderpass.services.filings import filing_validity

pytestmark = pytest.mark.usefixtures("db")


async def test_declarable_is_approved_and_unexpired(deps) -> None:  # R-F7
    user = await driver_user()
    live = await approved_filing(deps, user)
    now = clock.now()
    assert [f.id for f in await filing_validity.declarable(user.id, now)] == [live.id]
    assert filing_validity.unexpired(live, now)
    assert live.expires_at is not None
    after = live.expires_at + timedelta(seconds=1)  # the expiry sweep has not run yet
    assert await filing_validity.declarable(user.id, after) == []
    assert not filing_validity.unexpired(live, after)
    assert not filing_validity.unexpired(live, live.expires_at)  # the expiry is exclusive


async def test_no_expiry_is_not_unexpired(deps) -> None:  # R-F7: the service refuses it too
    user = await driver_user()
    live = await approved_filing(deps, user)
    await Filing.filter(id=live.id).update(expires_at=None)
    assert await filing_validity.declarable(user.id, clock.now()) == []
    assert not filing_validity.unexpired(await Filing.get(id=live.id), clock.now())


async def test_submitted_is_not_declarable(deps) -> None:
    carol = await driver_user("carol")
    pending = await submitted_filing(deps, carol)
    assert not filing_validity.unexpired(pending, clock.now())
    assert await filing_validity.declarable(carol.id, clock.now()) == []


async def test_only_the_applicants_own(deps) -> None:
    alice, bob = await driver_user(), await driver_user("bob")
    await approved_filing(deps, alice)
    assert await filing_validity.declarable(bob.id, clock.now()) == []
