"""After issuance: one clearance (R-E3), exits, cancellation in 2 months and its lock (R-E7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from export_factories import approved_enterprise, exporter, issued_licence, licence_body, officer
from export_factories import vins as make_vins

from borderpass.core.errors import Conflict, FieldError, FieldErrors, Forbidden
from borderpass.models.enums import Role
from borderpass.models.export import LicenceStatus, LicenceVehicle, VehicleState
from borderpass.presenters import export as present
from borderpass.services import clock
from borderpass.services.export import licences, obligations, summary, vin_cleared_for_exit
from borderpass.services.ports import Deps

pytestmark = pytest.mark.usefixtures("db")
CLEARED_AT = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)


def _cancel(vin: str, on: str = "2026-04-20", qr: str | None = None) -> dict[str, str]:
    return {"vin": vin, "cancelled_on": on, "qr_text": qr or f"https://gab.122.gov.cn/z/{vin}"}


async def _cleared(deps: Deps, count: int = 3, clear: int | None = None):
    user, customs = await exporter(), await officer(Role.CUSTOMS)
    clock.freeze(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    enterprise = await approved_enterprise(deps, user)
    vins = make_vins(count)
    licence = await issued_licence(deps, user, enterprise, vins)
    clock.freeze(CLEARED_AT)
    licence = await obligations.record_clearance(
        customs, licence.id, {"vins": vins[:clear], "declaration_number": "5301" + "0" * 14})
    return user, customs, enterprise, licence, vins


async def test_full_clearance_starts_the_two_month_clock_once(deps: Deps) -> None:  # R-E3
    user, customs, _, licence, vins = await _cleared(deps)
    assert licence.status is LicenceStatus.CLEARED and licence.cleared_count == 3
    row = await LicenceVehicle.get(vin=vins[0])
    assert row.state is VehicleState.CLEARED
    assert row.cancel_due_at == datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # R-E7
    with pytest.raises(Conflict) as again:
        await obligations.record_clearance(customs, licence.id, {"vins": vins})
    assert again.value.code == "export_licence_not_issued"
    with pytest.raises(Forbidden):
        await obligations.record_clearance(user, licence.id, {"vins": vins})


async def test_clearance_input_is_checked_all_at_once(deps: Deps) -> None:  # R-E3, R-E4
    user, customs = await exporter(), await officer(Role.CUSTOMS)
    enterprise = await approved_enterprise(deps, user)
    vins = make_vins(2)
    licence = await issued_licence(deps, user, enterprise, vins)
    stranger = make_vins(1, 50)[0]
    with pytest.raises(FieldErrors) as err:
        await obligations.record_clearance(customs, licence.id, {
            "vins": [vins[0], vins[0], stranger, "LFV2A21KO00000001"],
            "declaration_number": "12"})
    assert {(e.code, e.field) for e in err.value.errors} == {
        ("export_vin_duplicate", "vins[1]"), ("export_vin_not_on_licence", "vins[2]"),
        ("vin_letter_o", "vins[3]"), ("export_declaration_number", "declaration_number")}
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.ISSUED


async def test_short_clearance_must_be_returned_to_free_the_rest(deps: Deps) -> None:  # R-E3
    user, _, enterprise, licence, vins = await _cleared(deps, clear=2)
    assert licence.status is LicenceStatus.SHORT and licence.return_by is not None
    body = await licence_body(deps, user, enterprise, [vins[2]])
    with pytest.raises(FieldErrors) as err:
        await licences.apply(deps, user, body)
    assert err.value.errors[0].code == "export_vin_short_licence"
    returned = await licences.give_back(user, licence.id)
    assert returned.status is LicenceStatus.RETURNED
    assert (await LicenceVehicle.get(vin=vins[0])).state is VehicleState.CLEARED
    again = await licences.apply(deps, user, body)
    assert again.vehicle_count == 1


async def test_left_off_vehicles_of_an_unreturned_licence_are_locked_forever(deps: Deps) -> None:
    user, _, enterprise, licence, vins = await _cleared(deps, clear=2)  # R-E3
    clock.freeze(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))
    with pytest.raises(Conflict) as late:
        await licences.give_back(user, licence.id)
    assert late.value.code == "export_return_too_late"
    for vin in vins[:2]:  # the cleared ones are cancelled, lifting the R-E7 lock
        await obligations.record_exit(vin, source="customs")
        await obligations.record_cancellation(deps, user, _cancel(vin, "2026-06-10"))
    with pytest.raises(FieldErrors) as err:
        await licences.apply(deps, user, await licence_body(deps, user, enterprise, [vins[2]]))
    assert err.value.errors[0].code == "export_vin_locked"


async def test_cancellation_before_exit_is_refused(deps: Deps) -> None:  # R-E7
    user, _, _, _, vins = await _cleared(deps)
    with pytest.raises(Conflict) as err:
        await obligations.record_cancellation(deps, user, _cancel(vins[0], "2026-04-10"))
    assert err.value.code == "export_not_exited"
    assert await vin_cleared_for_exit(vins[0])
    clock.freeze(datetime(2026, 4, 20, 2, 0, tzinfo=UTC))
    await obligations.record_exit(vins[0], source="gate", port="ruili")
    assert not await vin_cleared_for_exit(vins[0])
    with pytest.raises(Conflict):
        await obligations.record_exit(vins[0], source="gate")
    with pytest.raises(FieldError) as early:
        await obligations.record_cancellation(deps, user, _cancel(vins[0], "2026-04-19"))
    assert early.value.code == "export_cancel_before_exit"
    assert early.value.params == {"date": "2026-04-19", "exit_date": "2026-04-20"}
    done = await obligations.record_cancellation(deps, user, _cancel(vins[0]))
    assert not done.late
    with pytest.raises(Conflict):
        await obligations.record_cancellation(deps, user, _cancel(vins[0]))
    await obligations.record_exit(vins[1], source="customs")
    with pytest.raises(FieldError) as reused:
        await obligations.record_cancellation(deps, user, _cancel(vins[1], qr=done.qr_text))
    assert reused.value.code == "export_qr_reused"


async def test_cancelled_vin_and_its_licence_are_final(deps: Deps) -> None:  # R-E7
    user, _, enterprise, licence, vins = await _cleared(deps)
    await obligations.record_exit(vins[0], source="customs")
    await obligations.record_cancellation(deps, user, _cancel(vins[0], "2026-04-10"))
    with pytest.raises(Conflict) as err:  # a fully cleared licence has nothing to return
        await licences.give_back(user, licence.id)
    assert err.value.code == "export_licence_not_returnable"
    await LicenceVehicle.filter(vin=vins[0]).update(live_vin=None)  # even if it were released
    with pytest.raises(FieldErrors) as again:
        await licences.apply(deps, user, await licence_body(deps, user, enterprise, [vins[0]]))
    assert again.value.errors[0].code == "export_vin_cancelled"


async def test_overdue_cancellation_locks_new_licences_until_done(deps: Deps) -> None:  # R-E7
    user, _, enterprise, _, vins = await _cleared(deps, count=2)
    new_vins = make_vins(1, 10)
    body = await licence_body(deps, user, enterprise, new_vins)
    await obligations.record_exit(vins[0], source="customs")
    await obligations.record_exit(vins[1], source="customs")
    clock.freeze(datetime(2026, 5, 1, 2, 0, tzinfo=UTC))
    await obligations.record_cancellation(deps, user, _cancel(vins[0], "2026-05-01"))
    clock.freeze(datetime(2026, 6, 10, 2, 0, 1, tzinfo=UTC))
    with pytest.raises(Forbidden) as err:
        await licences.apply(deps, user, body)
    assert err.value.code == "export_locked"
    assert err.value.params == {"count": 1, "vins": vins[1]}
    seen = present.enterprise(await summary.summarise(enterprise))
    assert seen["locked"] and seen["overdue_vins"] == [vins[1]]
    late = await obligations.record_cancellation(deps, user, _cancel(vins[1], "2026-06-10"))
    assert late.late
    assert (await licences.apply(deps, user, body)).vehicle_count == 1
    assert not present.enterprise(await summary.summarise(enterprise))["locked"]


async def test_gate_check_and_reminder_query(deps: Deps) -> None:  # R-E7
    from datetime import timedelta

    assert not await vin_cleared_for_exit("not a vin")
    _, _, _, _, vins = await _cleared(deps, count=2)
    assert await vin_cleared_for_exit(vins[1].lower())
    with pytest.raises(FieldError):
        await obligations.record_exit(make_vins(1, 90)[0], source="gate")
    assert await obligations.due_for_reminder(timedelta(days=14)) == []
    clock.freeze(datetime(2026, 5, 28, 2, 0, tzinfo=UTC))
    due = await obligations.due_for_reminder(timedelta(days=14))
    assert sorted(r.vin for r in due) == sorted(vins)


async def test_bad_cancellation_and_exit_requests_change_nothing(deps: Deps) -> None:  # R-E7
    from export_factories import upload

    from borderpass.models.export import Cancellation, VehicleExit

    user, customs, _, _, vins = await _cleared(deps, count=1)
    wrong_doc = await upload(deps, user, "export_contract")
    with pytest.raises(FieldErrors) as err:
        await obligations.record_cancellation(deps, user, {
            "vin": vins[0][:8] + "Q" + vins[0][9:], "qr_text": " ", "cancelled_on": "2026-05-01",
            "document_id": wrong_doc})
    assert {(e.code, e.field) for e in err.value.errors} == {
        ("vin_letter_q", "vin"), ("required", "qr_text"),
        ("export_date_future", "cancelled_on"), ("document_wrong_kind", "document_id")}
    with pytest.raises(FieldErrors) as exit_err:
        await obligations.officer_exit(customs, {"vin": vins[0], "exited_at": "yesterday"})
    assert exit_err.value.errors[0].code == "type_datetime"
    with pytest.raises(FieldError) as early:
        await obligations.officer_exit(customs, {"vin": vins[0],
                                                 "exited_at": "2026-04-01T10:00:00+08:00"})
    assert early.value.code == "export_exit_time"
    stranger = await exporter("stranger")
    await obligations.record_exit(vins[0], source="customs")
    with pytest.raises(FieldError) as hidden:
        await obligations.record_cancellation(deps, stranger, _cancel(vins[0], "2026-04-10"))
    assert hidden.value.code == "export_not_cleared"
    assert await Cancellation.all().count() == 0 and await VehicleExit.all().count() == 1
