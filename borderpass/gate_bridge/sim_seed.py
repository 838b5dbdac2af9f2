"""Demo data for ``lane-sim`` and ``bench/gate.py``: lanes, and passes of every kind.

Writes approved filings and declarations straight into the database in bulk (thousands
in seconds), as a demo seeder may; passes are built by the passes service.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from borderpass.models import BlacklistEntry, Declaration, Filing, FilingDriver, User
from borderpass.models.enums import (
    DeclarationStatus,
    Direction,
    FilingCategory,
    FilingStatus,
    SubjectKind,
)
from borderpass.models.gate import Lane, Pass
from borderpass.services import clock
from borderpass.services.crossings import passes
from borderpass.services.gate import lanes
from borderpass.services.gate.gate_context import GateDeps

KINDS = ("valid", "expired", "wrong_direction", "blacklisted")


@dataclass
class SimPass:
    """What a simulated phone holds: the credential and the TOTP secret."""

    credential: str
    secret: bytes
    plate: str


@dataclass
class SimWorld:
    """Seeded lanes (code, credential) and passes by kind."""

    lanes: list[tuple[str, str]]
    passes: dict[str, list[SimPass]] = field(default_factory=dict)


async def seed_lanes(gate: GateDeps, count: int, port: str = "ruili") -> list[tuple[str, str]]:
    """``count`` exit lanes named sim-out-N, with fresh credentials."""
    out = []
    for i in range(count):
        code = f"sim-out-{i}"
        if await Lane.filter(code=code).exists():
            out.append((code, await lanes.reset_credential(gate.deps, code)))
        else:
            _, token = await lanes.create(gate.deps, {
                "code": code, "port": port, "lane_type": "people", "direction": "exit",
                "languages": ["zh_CN", "my", "en"]})
            out.append((code, token))
    gate.lanes.forget()
    return out


async def _declarations(user: User, tag: str, kind: str, count: int) -> list[Declaration]:
    now = clock.now()
    filings = [Filing(applicant=user, category=FilingCategory.PERSONAL,
                      status=FilingStatus.APPROVED, plate_number=f"云S{tag[:2]}{i:05d}"[:12],
                      owner_key=f"sim-{tag}-{kind}-{i}", approved_at=now,
                      expires_at=now + timedelta(days=300)) for i in range(count)]
    await Filing.bulk_create(filings, batch_size=1000)
    saved = await Filing.filter(owner_key__startswith=f"sim-{tag}-{kind}-").order_by("id")
    await FilingDriver.bulk_create([FilingDriver(filing=f, name="模拟", is_owner=True)
                                    for f in saved], batch_size=1000)
    prefix = f"sim-{tag}-{kind}-"
    drivers = {d.filing_id: d for d in await FilingDriver.filter(  # type: ignore[attr-defined]
        filing__owner_key__startswith=prefix)}
    planned = now - timedelta(days=3) if kind == "expired" else now
    direction = Direction.ENTRY if kind == "wrong_direction" else Direction.EXIT
    await Declaration.bulk_create([
        Declaration(filing=f, driver=drivers[f.id], declared_by=user, direction=direction,
                    port="ruili", planned_at=planned, status=DeclarationStatus.APPROVED)
        for f in saved], batch_size=1000)
    if kind == "blacklisted":
        await BlacklistEntry.bulk_create([
            BlacklistEntry(subject_kind=SubjectKind.PERSON, subject_key=f.owner_key,
                           subject_label="模*", reason="overstay") for f in saved],
            batch_size=1000)
    return await Declaration.filter(filing__owner_key__startswith=prefix) \
        .select_related("filing").order_by("id")


async def seed(gate: GateDeps, lane_count: int, counts: dict[str, int]) -> SimWorld:
    """Lanes and passes: ``counts`` says how many of each kind (see KINDS)."""
    world = SimWorld(await seed_lanes(gate, lane_count))
    user, _ = await User.get_or_create(openid="o-lane-sim", defaults={"roles": ["driver"]})
    tag = secrets.token_hex(3)
    for kind in KINDS:
        decls = await _declarations(user, tag, kind, counts.get(kind, 0))
        built = [await passes.build(gate, d, d.filing) for d in decls]
        await Pass.bulk_create(built, batch_size=1000)
        world.passes[kind] = [
            SimPass(p.credential, passes.secret_of(gate, p, d.id), d.filing.plate_number or "")
            for p, d in zip(built, decls, strict=True)]
    return world


def secret_b64(p: SimPass) -> str:
    """The pass secret, base64 (for handing a world to another process)."""
    return base64.b64encode(p.secret).decode()
