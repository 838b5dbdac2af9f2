"""Export vehicles at the lane: only a VIN on a cleared licence leaves, once (R-E3, R-E7, R-G2)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from export_factories import approved_enterprise, exporter, issued_licence, officer
from export_factories import vins as make_vins
from factories import VIN
from gate_helpers import declared, issued, lane, qr, shown
from tortoise.exceptions import OperationalError

from borderpass.core.errors import FieldError
from borderpass.gate_bridge import protocol
from borderpass.models.enums import Role
from borderpass.models.export import VehicleExit
from borderpass.models.gate import Crossing, LedgerEntry
from borderpass.services import clock
from borderpass.services.export import obligations
from borderpass.services.gate import gate_record
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import Scan, decide
from borderpass.services.ports import Deps

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def gate(deps: Deps) -> GateDeps:
    return GateDeps.build(deps)


async def _licence(deps: Deps, vin_list: list[str], clear: bool = True) -> None:
    """An issued export licence for ``vin_list``, cleared by customs unless ``clear`` is off."""
    clock.freeze(T0 - timedelta(days=3))
    user = await exporter()
    enterprise = await approved_enterprise(deps, user)
    licence = await issued_licence(deps, user, enterprise, vin_list)
    if clear:
        await obligations.record_clearance(await officer(Role.CUSTOMS), licence.id, {
            "vins": vin_list, "declaration_number": "5301" + "0" * 14})
    clock.freeze(T0)


async def _goods_lane(gate: GateDeps, code: str = "ruili-goods-out", **extra):
    return (await lane(gate, code, lane_type="non_bonded_goods", **extra))[0]


async def test_cleared_vin_opens_once_and_records_the_exit(gate, deps) -> None:  # R-E3, R-E7
    vins = make_vins(2)
    await _licence(deps, vins)
    goods = await _goods_lane(gate)
    first = await decide(gate, goods, Scan("v1", "", vin=vins[0].lower()))
    assert (first.action, first.reason) == ("open", "export_cleared")
    assert shown(first, goods)["zh_CN"] == "出口车辆已通关，请通行"
    left = await VehicleExit.get(vin=vins[0])
    assert (left.source, left.port, left.exited_at) == ("gate", "ruili", T0)
    again = await decide(gate, goods, Scan("v2", "", vin=vins[0]))
    assert (again.action, again.reason) == ("deny", "export_already_left")
    assert "查验区" in shown(again, goods)["zh_CN"]  # R-G3
    retry = await decide(gate, goods, Scan("v1", "", vin=vins[0]))  # same event, same answer
    assert retry.command == first.command
    assert await VehicleExit.filter(vin=vins[0]).count() == 1
    scans = await LedgerEntry.filter(kind="scan", lane_code=goods.code).order_by("id")
    assert [s.detail["vin"] for s in scans] == [vins[0], vins[0]]


async def test_vin_not_on_a_cleared_licence_is_held(gate, deps) -> None:  # R-E3
    issued_only = make_vins(1, 40)
    await _licence(deps, issued_only, clear=False)
    goods = await _goods_lane(gate)
    held = await decide(gate, goods, Scan("n1", "", vin=issued_only[0]))
    assert (held.action, held.reason) == ("hold", "export_not_cleared")
    assert set(shown(held, goods)) == {"zh_CN", "my", "en"}
    unknown = await decide(gate, goods, Scan("n2", "", vin=make_vins(1, 70)[0]))
    assert (unknown.action, unknown.reason) == ("hold", "export_not_cleared")
    bad = await decide(gate, goods, Scan("n3", "", vin="LFV2A21KO0000001"))
    assert (bad.action, bad.reason) == ("deny", "vin_invalid")
    assert not await VehicleExit.exists()


async def test_vin_scans_only_on_exit_goods_lanes(gate, deps) -> None:  # R-G1
    vins = make_vins(1)
    await _licence(deps, vins)
    people, _ = await lane(gate, "ruili-out-1")
    entry = await _goods_lane(gate, "ruili-goods-in", direction="entry")
    assert (await decide(gate, people, Scan("l1", "", vin=vins[0]))).reason == "wrong_lane_type"
    assert (await decide(gate, entry, Scan("l2", "", vin=vins[0]))).reason == "wrong_direction"
    assert not await VehicleExit.exists()


async def test_same_vin_on_two_lanes_at_once_opens_one_pole(gate, deps) -> None:  # R-G2
    vins = make_vins(1)
    await _licence(deps, vins)
    lanes_ = [await _goods_lane(gate, f"ruili-goods-{i}") for i in range(3)]
    results = await asyncio.gather(*(decide(gate, ln, Scan(f"c{i}", "", vin=vins[0]))
                                     for i, ln in enumerate(lanes_)))
    assert sorted(r.action for r in results) == ["deny", "deny", "open"]
    assert await VehicleExit.filter(vin=vins[0]).count() == 1


async def test_driver_pass_of_an_uncleared_export_vehicle_is_held(gate, deps) -> None:  # R-E3
    await _licence(deps, [VIN], clear=False)
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    held = await decide(gate, out, Scan("p1", qr(gate_pass)))
    assert (held.action, held.reason) == ("hold", "export_not_cleared")
    assert not await VehicleExit.exists()


async def test_driver_pass_of_a_cleared_export_vehicle_records_its_exit(gate, deps) -> None:
    await _licence(deps, [VIN])  # R-E7: the exit is what the cancellation must follow
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    opened = await decide(gate, out, Scan("p2", qr(gate_pass)))
    assert (opened.action, opened.reason) == ("open", "pass_valid")
    assert (await VehicleExit.get(vin=VIN)).source == "gate"


async def test_lane_vin_must_match_the_filed_vehicle(gate) -> None:
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    other = make_vins(1, 55)[0]
    held = await decide(gate, out, Scan("m1", qr(gate_pass), vin=other))
    assert (held.action, held.reason) == ("hold", "vin_mismatch")
    ok = await decide(gate, out, Scan("m2", qr(gate_pass), vin=VIN.lower()))
    assert ok.action == "open"


def test_scan_frame_needs_a_qr_or_a_vin() -> None:
    assert protocol.check({"type": "scan", "event_id": "e", "vin": VIN}).vin == VIN
    with pytest.raises(FieldError) as err:
        protocol.check({"type": "scan", "event_id": "e"})
    assert (err.value.code, err.value.field) == ("required", "qr")
    with pytest.raises(FieldError) as err:
        protocol.check({"type": "scan", "event_id": "e", "vin": VIN + "XX"})
    assert (err.value.code, err.value.field) == ("length", "vin")


async def test_pass_exit_is_recorded_in_the_crossings_commit(gate, deps) -> None:  # R-E7
    # A release and its records are one commit: the exit is written by the scan's record
    # itself (nothing after the lane is answered), once; the scan that
    # loses the pass's release (pass_used) and a retry add nothing.
    await _licence(deps, [VIN])
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    other, _ = await lane(gate, "ruili-out-2")
    first, second = await asyncio.gather(decide(gate, out, Scan("x1", qr(gate_pass))),
                                         decide(gate, other, Scan("x2", qr(gate_pass))))
    assert sorted([first.reason, second.reason]) == ["pass_used", "pass_valid"]
    retry = await decide(gate, out, Scan("x1", qr(gate_pass)))
    assert retry.command == first.command
    left = await VehicleExit.get(vin=VIN)
    assert (left.source, left.port, left.exited_at) == ("gate", "ruili", T0)
    assert await VehicleExit.all().count() == 1


async def test_pass_exit_rolls_back_with_its_batch(gate, deps, monkeypatch) -> None:  # R-E7
    # The exit is part of the batch's write: a batch that fails leaves no exit behind.
    await _licence(deps, [VIN])
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)

    async def broken(*args, **kwargs):
        raise RuntimeError("the ledger write failed")

    monkeypatch.setattr(gate_record.ledger, "write", broken)
    monkeypatch.setattr(gate_record, "_PG_RECORD", gate_record._PG_RECORD.replace(
        "INSERT INTO gate_ledger (", "INSERT INTO gate_ledger_missing ("))
    with pytest.raises((RuntimeError, OperationalError)):
        await decide(gate, out, Scan("r1", qr(gate_pass)))
    assert not await VehicleExit.exists()
    assert not await Crossing.exists()
