"""A write that loses to its concurrent twin recognises the twin by the constraint's name
(adapters/constraints.py) and treats it as done; any other violation is an error, never
swallowed (issue 24). On SQLite and PostgreSQL alike (tests/contracts/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from factories import driver_user, personal_body, staff, submitted_filing
from gate_helpers import declared, issued
from tortoise.exceptions import IntegrityError

from borderpass.core.errors import Conflict
from borderpass.models import LoginLock, Port
from borderpass.models.claims import ReviewClaim
from borderpass.models.enums import Role
from borderpass.models.export import Enterprise, EnterpriseMember
from borderpass.models.gate import Pass
from borderpass.models.keys import SubjectKey
from borderpass.services import clock
from borderpass.services.crossings import land_ports, passes
from borderpass.services.export import members
from borderpass.services.filings import review_claims
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.identity import staff as staff_service
from borderpass.services.privacy import subject_keys

pytestmark = pytest.mark.usefixtures("db")


async def _other_violation(*_args: Any, **_kwargs: Any) -> Any:
    """A real violation of another constraint: a second port with a seeded code."""
    code, zh, my, en, _ = land_ports.SEED[0]
    await Port.create(code=code, name_zh=zh, name_my=my, name_en=en)


def _first_look_misses(monkeypatch: pytest.MonkeyPatch, model: Any) -> None:
    """The row is not there at the first look (the twin writes it just after)."""
    looked = {"n": 0}
    real = model.get_or_none

    def get_or_none(*args: Any, **kwargs: Any) -> Any:
        looked["n"] += 1
        if looked["n"] == 1:
            async def nothing() -> None:
                return None
            return nothing()
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "get_or_none", get_or_none)


async def test_login_lock_twin_is_done_other_violation_raised(deps, monkeypatch) -> None:
    await LoginLock.create(username="eve", failures=5, locked_at=clock.now())  # the twin
    await staff_service._lock(deps, "eve", None, 5, "198.51.100.7")
    assert await LoginLock.filter(username="eve").count() == 1
    monkeypatch.setattr(LoginLock, "create", _other_violation)
    with pytest.raises(IntegrityError):
        await staff_service._lock(deps, "mallory", None, 5, "198.51.100.7")


async def test_pass_twin_is_used_other_violation_raised(deps, monkeypatch) -> None:
    gate = GateDeps.build(deps, ())
    declaration = await declared(gate)
    await issued(gate, declaration)  # the twin's pass
    made = await passes._create(gate, await declaration.__class__.get(id=declaration.id)
                                .prefetch_related("filing"))
    assert made.id == (await Pass.get(declaration_id=declaration.id)).id
    monkeypatch.setattr(Pass, "save", _other_violation)
    other = await declared(gate, name="bob", plate="云N54321")
    with pytest.raises(IntegrityError):
        await passes._create(gate, await other.__class__.get(id=other.id)
                             .prefetch_related("filing"))


async def test_review_claim_twin_looks_again_other_violation_raised(deps, monkeypatch) -> None:
    filing = await submitted_filing(deps, await driver_user())
    reviewer, twin = await staff(Role.REVIEWER, "rita"), await staff(Role.REVIEWER, "tom")
    await review_claims.claim(twin, filing)  # the twin claims it first
    _first_look_misses(monkeypatch, ReviewClaim)
    holder = await review_claims.claim(reviewer, filing)
    assert holder is not None and await ReviewClaim.filter(filing_id=filing.id).count() == 1
    assert (await ReviewClaim.get(filing_id=filing.id)).user_id == twin.id
    monkeypatch.undo()
    monkeypatch.setattr(ReviewClaim, "create", _other_violation)
    other = await submitted_filing(deps, await driver_user("bob"),
                                   personal_body(plate_number="云N54321"))
    with pytest.raises(IntegrityError):
        await review_claims.claim(reviewer, other)


async def test_subject_key_twin_is_used_other_violation_raised(deps, monkeypatch) -> None:
    user = await driver_user()
    first = await subject_keys.ensure(deps, user.id)  # the twin's key
    _first_look_misses(monkeypatch, SubjectKey)
    again = await subject_keys.ensure(deps, user.id)
    assert first.open_file(again.seal_file(b"x", "f"), "f") == b"x"  # the same key
    assert await SubjectKey.filter(user_id=user.id).count() == 1
    monkeypatch.undo()
    monkeypatch.setattr(SubjectKey, "create", _other_violation)
    with pytest.raises(IntegrityError):
        await subject_keys.ensure(deps, (await driver_user("bob")).id)


async def test_membership_twin_is_a_conflict_other_violation_raised(monkeypatch) -> None:
    enterprise = await Enterprise.create(uscc="91530000MA6K000001", name="Ruili Motors")
    user = await driver_user()
    await members.grant(enterprise, user, None, "filing")
    with pytest.raises(Conflict):  # the same member again: the twin's grant
        await members.grant(enterprise, user, None, "filing")
    monkeypatch.setattr(EnterpriseMember, "create", _other_violation)
    with pytest.raises(IntegrityError):
        await members.grant(enterprise, await driver_user("bob"), None, "filing")
