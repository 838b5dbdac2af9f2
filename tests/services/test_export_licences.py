"""Export licences: who applies (R-E2), ≤ 20 vehicles (R-E3), VINs (R-E4), R-E5, R-E6, R-E8."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from export_factories import (
    OTHER_USCC,
    approved_enterprise,
    exporter,
    filing_body,
    licence_body,
    officer,
    vins,
)

from borderpass.core.errors import Conflict, FieldError, FieldErrors, Forbidden
from borderpass.models.enums import Role
from borderpass.models.export import Licence, LicenceStatus, LicenceVehicle
from borderpass.services import clock
from borderpass.services.export import enterprises, licences, obligations
from borderpass.services.ports import Deps
from borderpass.services.validators import make_vin

pytestmark = pytest.mark.usefixtures("db")


def _codes(err: FieldErrors) -> set[tuple[str, str | None]]:
    return {(e.code, e.field) for e in err.errors}


async def test_apply_fills_the_licence_fields_from_the_enterprise(deps: Deps) -> None:  # R-E8
    user = await exporter()
    enterprise = await approved_enterprise(deps, user)
    body = await licence_body(deps, user, enterprise, vins(2))
    body["vehicles"][0] |= {"brand": " 丰田牌 ", "model": "TV7250GLD-a"}
    licence = await licences.apply(deps, user, body)
    assert licence.status is LicenceStatus.SUBMITTED
    assert licence.exporter == licence.consignor == enterprise.name
    assert licence.goods_state == "used" and licence.vehicle_count == 2
    first = await LicenceVehicle.get(licence_id=licence.id, position=0)
    assert (first.brand, first.model) == ("丰田牌", "TV7250GLD-a")  # as on the certificate


async def test_twenty_vehicles_pass_and_twenty_one_are_refused(deps: Deps) -> None:  # R-E3
    user = await exporter()
    enterprise = await approved_enterprise(deps, user)
    with pytest.raises(FieldErrors) as err:
        await licences.apply(deps, user, await licence_body(deps, user, enterprise, vins(21)))
    assert _codes(err.value) == {("export_too_many_vehicles", "vehicles")}
    assert err.value.errors[0].params == {"max": 20, "count": 21}
    assert await Licence.all().count() == 0
    licence = await licences.apply(deps, user, await licence_body(deps, user, enterprise,
                                                                  vins(20)))
    assert licence.vehicle_count == 20


async def test_vin_errors_name_position_and_likely_mistake(deps: Deps) -> None:  # R-E4
    user = await exporter()
    enterprise = await approved_enterprise(deps, user)
    good = vins(4)
    with_o = good[0][:5] + "O" + good[0][6:]
    with_i = good[1][:2] + "I" + good[1][3:]
    with_q = good[2][:11] + "Q" + good[2][12:]
    wrong_check = good[3][:8] + ("0" if good[3][8] != "0" else "1") + good[3][9:]
    body = await licence_body(deps, user, enterprise, [with_o, with_i, with_q, wrong_check])
    with pytest.raises(FieldErrors) as err:
        await licences.apply(deps, user, body)
    found = {e.field: (e.code, e.params) for e in err.value.errors}
    assert found["vehicles[0].vin"] == ("vin_letter_o",
                                        {"position": 6, "char": "O", "suggestion": "0"})
    assert found["vehicles[1].vin"] == ("vin_letter_i",
                                        {"position": 3, "char": "I", "suggestion": "1"})
    assert found["vehicles[2].vin"][0] == "vin_letter_q"
    assert found["vehicles[2].vin"][1]["position"] == 12
    assert found["vehicles[3].vin"] == ("vin_checksum", {"position": 9})  # R-E4: no digit
    assert await Licence.all().count() == 0


async def test_only_an_approved_unexpired_enterprise_applies(deps: Deps) -> None:  # R-E2
    user, stranger = await exporter(), await exporter("stranger")
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    enterprise = await approved_enterprise(deps, user)
    body = await licence_body(deps, user, enterprise, vins(1))
    with pytest.raises(FieldError) as err:
        await licences.apply(deps, stranger, body)
    assert err.value.code == "export_enterprise_not_found"
    clock.freeze(datetime(2027, 3, 2, 2, 0, 1, tzinfo=UTC))
    with pytest.raises(Forbidden) as expired:
        await licences.apply(deps, user, body)
    assert expired.value.code == "export_filing_expired"
    assert expired.value.params == {"date": "2027-03-02"}
    pending = await enterprises.submit(deps, stranger,
                                       await filing_body(deps, stranger, OTHER_USCC))
    from borderpass.models.export import Enterprise

    other = await Enterprise.get(id=pending.enterprise_id)  # type: ignore[attr-defined]
    with pytest.raises(FieldError) as unfiled:  # R-E2: a pending filing grants nothing
        await licences.apply(deps, stranger, await licence_body(deps, stranger, other, vins(1)))
    assert unfiled.value.code == "export_enterprise_not_found"
    assert await Licence.all().count() == 0


async def test_header_rules_destination_parties_goods_state(deps: Deps) -> None:  # R-E8
    user = await exporter()
    enterprise = await approved_enterprise(deps, user)
    body = await licence_body(deps, user, enterprise, vins(1), destination="KZ",
                              customs_zone="瑞丽综合保税区", exporter="别的公司",
                              goods_state="new", commodity_code="8403231410")
    with pytest.raises(FieldErrors) as err:
        await licences.apply(deps, user, body)
    assert _codes(err.value) == {("export_zone_destination", "destination"),
                                 ("export_party", "exporter"),
                                 ("export_goods_state", "goods_state"),
                                 ("export_commodity_code", "commodity_code")}
    with pytest.raises(FieldErrors) as china:
        await licences.apply(deps, user, body | {"destination": "CN", "customs_zone": None,
                                                 "exporter": enterprise.name,
                                                 "goods_state": "used",
                                                 "commodity_code": "87032314"})
    assert _codes(china.value) == {("export_china_needs_zone", "customs_zone")}
    zone = await licences.apply(deps, user, body | {
        "destination": "cn", "exporter": enterprise.name, "goods_state": "used",
        "commodity_code": "87032314"})
    assert (zone.destination, zone.customs_zone) == ("CN", "瑞丽综合保税区")


async def test_a_vin_on_a_live_licence_is_refused_until_released(deps: Deps) -> None:
    user, customs = await exporter(), await officer(Role.CUSTOMS)
    enterprise = await approved_enterprise(deps, user)
    first = await licences.apply(deps, user, await licence_body(deps, user, enterprise, vins(2)))
    body = await licence_body(deps, user, enterprise, vins(3)[1:])
    with pytest.raises(FieldErrors) as err:
        await licences.apply(deps, user, body)
    assert _codes(err.value) == {("export_vin_on_licence", "vehicles[0].vin")}
    assert err.value.errors[0].params == {"licence": f"#{first.id}"}
    await licences.refuse(customs, first.id, [{"field": "documents", "message": "合同无译本"}])
    second = await licences.apply(deps, user, body)
    assert second.vehicle_count == 2
    withdrawn = await licences.give_back(user, second.id)
    assert withdrawn.status is LicenceStatus.WITHDRAWN
    assert (await licences.apply(deps, user, body)).vehicle_count == 2


async def test_owner_change_after_pending_export_is_refused(deps: Deps) -> None:  # R-E6
    user, customs = await exporter(), await officer(Role.CUSTOMS)
    enterprise = await approved_enterprise(deps, user)
    vin = make_vin("LGBH52E0AY000777")
    body = await licence_body(deps, user, enterprise, [vin])
    body["vehicles"][0] |= {"pending_export_on": "2025-12-01", "owner_changed_on": "2026-01-05"}
    with pytest.raises(FieldErrors) as err:
        await licences.apply(deps, user, body)
    assert _codes(err.value) == {("export_owner_changed", "vehicles[0].owner_changed_on")}
    with pytest.raises(Forbidden):
        await obligations.grant_owner_change(user, {"vin": vin, "reason": "公安核实"})
    await obligations.grant_owner_change(customs, {"vin": vin, "reason": "外贸司与公安核实"})
    with pytest.raises(Conflict):
        await obligations.grant_owner_change(customs, {"vin": vin, "reason": "again"})
    assert (await licences.apply(deps, user, body)).vehicle_count == 1


async def test_issuance_is_measured_in_working_days(deps: Deps) -> None:  # R-E5
    user, customs = await exporter(), await officer(Role.CUSTOMS)
    clock.freeze(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))  # a Friday in Shanghai
    enterprise = await approved_enterprise(deps, user)
    fast = await licences.apply(deps, user, await licence_body(deps, user, enterprise, vins(1)))
    slow = await licences.apply(deps, user, await licence_body(deps, user, enterprise,
                                                               vins(1, 5)))
    assert fast.issue_due_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # end of Wednesday
    clock.freeze(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    fast = await licences.issue(deps, customs, fast.id)
    assert fast.issue_working_days == 2 and fast.number == f"26EX{fast.id:08d}"
    clock.freeze(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
    (waiting,) = await licences.queue(deps, customs)
    assert waiting.licence.id == slow.id and waiting.working_days_to_issue == 4
    stats = await licences.issuance_stats(deps, customs)
    assert stats["issued"] == 1 and stats["within_target"] == 1 and stats["pending_overdue"] == 1
    with pytest.raises(Conflict):
        await licences.issue(deps, customs, fast.id)
    with pytest.raises(Forbidden):
        await licences.issue(deps, user, slow.id)
