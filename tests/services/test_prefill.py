"""OCR prefill of drafts (R-P1): fill empty fields, never overwrite, confirm before submit."""

from __future__ import annotations

from typing import Any

import pytest
from factories import OWNER_ID, VIN, attach_all, consented, driver_user, jpeg, personal_body

from borderpass.core.errors import Conflict, FieldErrors
from borderpass.models import FilingDriver
from borderpass.models.enums import FilingStatus
from borderpass.presenters import filings as present
from borderpass.services.filings import documents, filings, prefill
from borderpass.services.validators import make_vin

pytestmark = pytest.mark.usefixtures("db")


def reading(**values: str) -> dict[str, Any]:
    return {"fields": {k: {"value": v, "confidence": 0.97, "warnings": []}
                       for k, v in values.items()}, "warnings": []}


async def test_fills_empty_fields_and_flags_clashes(deps) -> None:  # R-P1
    user = await driver_user()
    filing = await filings.create(deps, user, {"category": "personal",
                                               "vehicle": {"model": "我填的型号"}})
    doc = await documents.upload(deps, user, "vehicle_licence", jpeg())
    result = await prefill.apply_reading(
        deps, user, filing.id, doc, "vehicle_licence",
        reading(plate_number="云N12345", vin=VIN, model="大众牌SVW7182", owner="岩温",
                register_date="2019-05-01", vehicle_type="小型轿车"))
    assert "vehicle.vin" in result["filled"] and result["conflicts"] == ["vehicle.model"]
    view = present.filing(await filings.view(deps, await filings.visible(user, filing.id)),
                          user.locale)
    assert view["vehicle"]["model"] == "我填的型号"  # never overwritten
    assert view["vehicle"]["vin"] == VIN and view["conflicts"]["vehicle.model"]["value"]
    assert view["prefilled"]["vehicle.vin"]["document_id"] == doc.id


async def test_flagged_or_invalid_values_are_not_used(deps) -> None:  # R-P1, R-E4
    user = await driver_user()
    filing = await filings.create(deps, user, {"category": "personal"})
    doc = await documents.upload(deps, user, "vehicle_licence", jpeg())
    bad = reading(vin="LSVAM4187C2218360", plate_number="云N12345")
    bad["fields"]["plate_number"]["warnings"] = ["plate_format"]
    result = await prefill.apply_reading(deps, user, filing.id, doc, "vehicle_licence", bad)
    assert result == {"filled": [], "conflicts": [], "matched": [], "check": [
        {"document": "vehicle_licence", "field": "vin", "path": "vehicle.vin",
         "warnings": ["vin_checksum"]},  # the form's own check refused it: shown too
        {"document": "vehicle_licence", "field": "plate_number",
         "path": "vehicle.plate_number", "warnings": ["plate_format"]}]}


async def test_a_value_read_again_is_matched_not_lost(deps) -> None:  # R-P1, issue #18
    user = await driver_user()
    filing = await filings.create(deps, user, {"category": "personal", "vehicle": {"vin": VIN}})
    doc = await documents.upload(deps, user, "vin_plate", jpeg())
    result = await prefill.apply_reading(deps, user, filing.id, doc, "vin_plate",
                                         reading(vin=VIN, manufacturer="上汽大众汽车有限公司"))
    assert result == {"filled": [], "conflicts": [], "matched": ["vehicle.vin"], "check": []}
    assert prefill.read_values(reading(vin=VIN)) == ["vin"]


async def test_driver_documents_fill_sealed_values(deps) -> None:  # R-P1, R-U7
    user = await driver_user()
    filing = await filings.create(deps, user, {"category": "personal"})
    await consented(user)  # R-D1
    doc = await documents.upload(deps, user, "id_card_front", jpeg())
    result = await prefill.apply_reading(deps, user, filing.id, doc, "id_card_front#1",
                                         reading(name="岩温", id_number=OWNER_ID))
    assert result["filled"] == ["drivers[0].name", "drivers[0].id_number"]
    driver = await FilingDriver.get(filing_id=filing.id)
    assert driver.name == "岩温" and OWNER_ID not in repr(driver.sealed)
    assert deps.cipher.decrypt(driver.sealed["id_number"], "driver.id_number") == OWNER_ID
    view = present.filing(await filings.view(deps, await filings.visible(user, filing.id)),
                          user.locale)
    assert OWNER_ID not in repr(view)


async def test_submit_waits_for_confirmation_and_choices(deps) -> None:  # R-P1
    user = await driver_user()
    body = personal_body()
    body["documents"] = await attach_all(deps, user, "personal")
    body["vehicle"].pop("vin")
    body["vehicle"]["model"] = "手写型号"
    filing = await filings.create(deps, user, body)
    doc = await documents.upload(deps, user, "vehicle_licence", jpeg())
    await prefill.apply_reading(deps, user, filing.id, doc, "vehicle_licence",
                                reading(vin=VIN, model="大众牌SVW7182"))
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    found = {e.field: e.code for e in err.value.errors}
    assert found == {"vehicle.vin": "ocr_unconfirmed", "vehicle.model": "ocr_conflict"}
    await filings.update(deps, user, filing.id, {"vehicle": {"model": "大众牌SVW7182"}})
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    assert {e.code for e in err.value.errors} == {"ocr_unconfirmed"}
    await filings.update(deps, user, filing.id, {"confirm_prefill": True})
    assert (await filings.submit(deps, user, filing.id)).status is FilingStatus.SUBMITTED


async def test_prefill_refused_on_others_or_submitted_filings(deps) -> None:
    user, other = await driver_user("a"), await driver_user("b")
    filing = await filings.create(deps, user, {"category": "personal"})
    doc = await documents.upload(deps, other, "vin_plate", jpeg())
    from borderpass.core.errors import FieldError

    with pytest.raises(FieldError):
        await prefill.apply_reading(deps, other, filing.id, doc, "vin_plate", reading(vin=VIN))
    body = personal_body()
    body["documents"] = await attach_all(deps, user, "personal")
    done = await filings.submit(deps, user, (await filings.create(
        deps, user, body | {"vehicle": body["vehicle"] | {"plate_number": "云N66666"}})).id)
    with pytest.raises(Conflict):
        await prefill.apply_reading(deps, user, done.id, doc, "vin_plate", reading(vin=VIN))


async def test_a_value_below_the_threshold_is_not_prefilled_but_listed(deps) -> None:  # R-P5
    user = await driver_user()
    filing = await filings.create(deps, user, {"category": "personal"})
    doc = await documents.upload(deps, user, "vehicle_licence", jpeg())
    read = reading(vin=VIN, owner="贾风")
    read["fields"]["owner"]["confidence"] = prefill.trust.PREFILL_THRESHOLD - 0.05
    result = await prefill.apply_reading(deps, user, filing.id, doc, "vehicle_licence", read)
    assert result["filled"] == ["vehicle.vin"]
    assert result["check"] == [{"document": "vehicle_licence", "field": "owner",
                                "path": "vehicle.owner_name", "warnings": ["low_confidence"]}]
    view = present.filing(await filings.view(deps, await filings.visible(user, filing.id)),
                          user.locale)
    assert not view["vehicle"].get("owner_name")
    assert "vehicle.owner_name" not in view["prefilled"]


async def _attached(deps, user, filing, slot: str, read: dict[str, Any]) -> Any:
    """A document uploaded into ``slot`` of the filing, its reading stored, then prefilled."""
    doc = await documents.upload(deps, user, slot.split("#")[0], jpeg())
    await documents.save_reading(deps, doc, read)
    await filings.update(deps, user, filing.id, {"documents": {slot: doc.id}})
    return await prefill.apply_reading(deps, user, filing.id, doc, slot, read)


async def test_a_name_other_documents_read_differently_is_flagged(deps) -> None:  # R-P5
    user = await consented(await driver_user())  # identity documents need consent (R-D1)
    filing = await filings.create(deps, user, {"category": "personal"})
    first = await _attached(deps, user, filing, "id_card_front#1",
                            reading(name="苏勐艳", id_number=OWNER_ID))
    assert first["filled"] == ["drivers[0].name", "drivers[0].id_number"]
    # 勐 read as 动 on the licence, at a high score: the two documents disagree.
    second = await _attached(deps, user, filing, "driving_licence#1",
                             reading(name="苏动艳", licence_number=OWNER_ID))
    assert second["filled"] == ["drivers[0].licence_number"]
    assert {"document": "driving_licence", "field": "name", "path": None,
            "warnings": ["disagrees_id_card_front"]} in second["check"]
    assert {"document": "id_card_front", "field": "name", "path": "drivers[0].name",
            "warnings": ["disagrees_driving_licence"]} in second["check"]
    # The second driver's documents are another person's: no disagreement with the first.
    third = await _attached(deps, user, filing, "driving_licence#2",
                            reading(name="岩温", licence_number=OWNER_ID))
    assert third["check"] == []


async def test_a_vin_plate_disagreeing_with_the_licence_is_not_used(deps) -> None:  # R-P5
    user = await driver_user()
    filing = await filings.create(deps, user, {"category": "personal"})
    await _attached(deps, user, filing, "vehicle_licence", reading(vin=VIN))
    other = make_vin("LSVAM4187C221837")
    result = await _attached(deps, user, filing, "vin_plate", reading(vin=other))
    assert result["conflicts"] == [] and result["filled"] == []
    assert [item["warnings"] for item in result["check"]] == [
        ["disagrees_vehicle_licence"], ["disagrees_vin_plate"]]
