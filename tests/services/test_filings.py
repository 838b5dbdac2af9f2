"""Filings: categories, materials, mortgage, second-hand, drivers, states (R-F1…R-F5, R-U5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import (
    OWNER_ID,
    SECOND_ID,
    approved_filing,
    attach_all,
    business_body,
    driver_user,
    personal_body,
    staff,
    submitted_filing,
)
from tortoise import connections

from borderpass.core.errors import Conflict, FieldError, FieldErrors, NotFound
from borderpass.models import Filing, FilingDocument, FilingDriver
from borderpass.models.enums import FilingStatus, Role
from borderpass.presenters import filings as present
from borderpass.services import clock
from borderpass.services.filings import filings, review

pytestmark = pytest.mark.usefixtures("db")


def codes(err: FieldErrors) -> dict[str, str]:
    return {e.field or "": e.code for e in err.errors}


async def test_three_categories_and_unknown_refused(deps) -> None:  # R-F1
    user = await driver_user()
    for category in ("personal", "business", "official"):
        filing = await filings.create(deps, user, {"category": category})
        assert filing.status is FilingStatus.DRAFT
    with pytest.raises(FieldError) as err:
        await filings.create(deps, user, {"category": "commercial"})
    assert err.value.field == "category"


async def test_personal_filing_submits_when_complete(deps) -> None:  # R-F2
    user = await driver_user()
    filing = await submitted_filing(deps, user)
    assert filing.status is FilingStatus.SUBMITTED and filing.submitted_at is not None


async def test_missing_material_reported_all_at_once(deps) -> None:  # R-F2, R-F6
    user = await driver_user()
    filing = await filings.create(deps, user, {"category": "personal"})
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    found = codes(err.value)
    for name in ("vehicle.plate_number", "vehicle.vin", "owner.id_number", "drivers"):
        assert name in found
    for slot in ("vehicle_licence", "photo_front_45", "photo_rear_45", "photo_side",
                 "vin_plate"):
        assert found.get(f"documents.{slot}") == "document_required"
    assert (await Filing.get(id=filing.id)).status is FilingStatus.DRAFT


async def test_power_of_attorney_needed_unless_owner_files(deps) -> None:  # R-F2
    user = await driver_user()
    body = personal_body()
    body["owner"]["is_applicant"] = False
    body["documents"] = await attach_all(deps, user, "personal")
    filing = await filings.create(deps, user, body)
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    assert codes(err.value) == {"documents.power_of_attorney": "document_required"}


async def test_business_needs_enterprise_materials(deps) -> None:  # R-F2
    user = await driver_user()
    body = business_body()
    filing = await filings.create(deps, user, body)
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    found = codes(err.value)
    for slot in ("enterprise_power_of_attorney", "business_activity_proof", "business_licence",
                 "unit_seal"):
        assert found[f"documents.{slot}"] == "document_required"
    filing = await submitted_filing(deps, await driver_user("bob"), business_body()
                                    | {"vehicle": business_body()["vehicle"]
                                       | {"plate_number": "云N54321"}})
    assert filing.status is FilingStatus.SUBMITTED


async def test_official_needs_an_approved_letter_and_paper_licence(deps) -> None:  # R-F2
    from factories import jpeg

    from borderpass.services.filings import documents

    user = await driver_user()
    reviewer = await staff(Role.REVIEWER)
    letter_doc = await documents.upload(deps, user, "official_letter", jpeg())
    letter = await review.submit_letter(deps, user, "瑞丽市交通局", letter_doc.id,
                                        [{"plate": "云N12345"}],
                                        [{"name": "岩温", "id_number": OWNER_ID}])
    body = business_body()
    body.update(category="official", official_letter_id=letter.id)
    with pytest.raises(FieldError) as err:
        await filings.create(deps, user, body)
    assert (err.value.field, err.value.code) == ("official_letter_id", "letter_not_approved")
    await review.decide_letter(reviewer, letter.id, approve=True)
    body["vehicle"]["licence_kind"] = "electronic"
    body["documents"] = await attach_all(deps, user, "official")
    del body["organisation"]["activity"]
    filing = await filings.create(deps, user, body)
    with pytest.raises(FieldErrors) as errs:
        await filings.submit(deps, user, filing.id)
    assert codes(errs.value) == {"vehicle.licence_kind": "licence_paper_only"}
    await filings.update(deps, user, filing.id, {"vehicle": {"licence_kind": "paper"}})
    assert (await filings.submit(deps, user, filing.id)).status is FilingStatus.SUBMITTED


async def test_mortgaged_vehicle_needs_six_months_of_repayment(deps) -> None:  # R-F4
    clock.freeze(datetime(2026, 11, 26, 3, tzinfo=UTC))
    user = await driver_user()
    body = personal_body(mortgaged=True, repayment_from="2026-07-01")
    body["documents"] = await attach_all(deps, user, "personal", extra=("repayment_proof",))
    filing = await filings.create(deps, user, body)
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    assert codes(err.value) == {"vehicle.repayment_from": "repayment_too_short"}
    await filings.update(deps, user, filing.id, {"vehicle": {"repayment_from": "2026-05-26"}})
    assert (await filings.submit(deps, user, filing.id)).status is FilingStatus.SUBMITTED


async def test_mortgaged_vehicle_needs_repayment_proof_document(deps) -> None:  # R-F4
    user = await driver_user()
    body = personal_body(mortgaged=True, repayment_from="2020-01-01")
    body["documents"] = await attach_all(deps, user, "personal")
    filing = await filings.create(deps, user, body)
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    assert codes(err.value) == {"documents.repayment_proof": "document_required"}


async def test_recent_transfer_refused_with_the_date_it_can(deps) -> None:  # R-F5
    clock.freeze(datetime(2026, 11, 26, 3, tzinfo=UTC))
    user = await driver_user()
    body = personal_body(transferred_on="2026-08-31")
    body["documents"] = await attach_all(deps, user, "personal")
    filing = await filings.create(deps, user, body)
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    (problem,) = err.value.errors
    assert (problem.field, problem.code) == ("vehicle.transferred_on", "transfer_too_recent")
    assert problem.params["from_date"] == "2027-02-28"
    await filings.update(deps, user, filing.id, {"vehicle": {"transferred_on": "2026-05-26"}})
    assert (await filings.submit(deps, user, filing.id)).status is FilingStatus.SUBMITTED


async def test_personal_vehicle_at_most_two_drivers_one_the_owner(deps) -> None:  # R-U5
    user = await driver_user()
    other = {"name": "玉香", "id_number": SECOND_ID, "licence_number": SECOND_ID,
             "permit_number": "C87654321", "phone": "13900001111", "is_owner": False}
    body = personal_body()
    body["drivers"].append(other)
    body["documents"] = await attach_all(deps, user, "personal", drivers=3,
                                         extra=("relationship_proof",))
    three = body | {"drivers": [*body["drivers"], other | {"name": "岩罕"}]}
    filing = await filings.create(deps, user, three)
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    assert codes(err.value)["drivers"] == "personal_max_drivers"
    # two drivers, neither the owner: the one slot left must be the owner's
    two_others = body | {"drivers": [other, other | {"name": "岩罕"}]}
    await filings.update(deps, user, filing.id, {"drivers": two_others["drivers"]})
    with pytest.raises(FieldErrors) as err:
        await filings.submit(deps, user, filing.id)
    assert codes(err.value)["drivers"] == "personal_owner_driver"
    await filings.update(deps, user, filing.id, {"drivers": body["drivers"]})
    assert (await filings.submit(deps, user, filing.id)).status is FilingStatus.SUBMITTED


async def test_unit_vehicle_may_list_more_drivers(deps) -> None:  # R-U5
    user = await driver_user()
    body = business_body()
    extra = {"name": "玉香", "id_number": SECOND_ID, "licence_number": SECOND_ID,
             "permit_number": "C87654321", "phone": "13900001111", "is_owner": False}
    body["drivers"] += [extra, extra | {"name": "岩罕"}]
    filing = await submitted_filing(deps, user, body)
    assert filing.status is FilingStatus.SUBMITTED


async def test_bad_value_refused_and_nothing_changes(deps) -> None:
    user = await driver_user()
    filing = await filings.create(deps, user, personal_body())
    with pytest.raises(FieldError) as err:
        await filings.update(deps, user, filing.id,
                             {"vehicle": {"model": "新型号", "vin": "LSVAM4187C22183O"}})
    assert err.value.field == "vehicle.vin"
    again = await Filing.get(id=filing.id)
    assert again.data["vehicle"]["model"] == "大众牌SVW7"
    with pytest.raises(FieldError) as err:
        await filings.update(deps, user, filing.id, {"drivers": [{"id_number": "123"}]})
    assert err.value.field == "drivers[0].id_number"
    with pytest.raises(FieldError) as err:
        await filings.update(deps, user, filing.id, {"vehicle": {"colour": "red"}})
    assert (err.value.field, err.value.code) == ("vehicle.colour", "unknown_field")


async def test_identity_numbers_encrypted_at_rest(deps) -> None:  # R-U7
    user = await driver_user()
    filing = await filings.create(deps, user, personal_body())
    conn = connections.get("default")
    for table in ("filings", "filing_drivers"):
        rows = await conn.execute_query_dict(f"SELECT * FROM {table}")
        assert rows and OWNER_ID not in repr(rows)
    view = present.filing(await filings.view(deps, filing), user.locale)
    assert view["owner"]["id_number"] != OWNER_ID
    assert view["owner"]["id_number"].endswith(OWNER_ID[-4:])


async def test_reviewer_sees_masked_values_and_reveals_one_audited(deps) -> None:  # R-U7
    from borderpass.models import AuditEvent
    from borderpass.services.filings import filing_reveal

    user = await driver_user()
    filing = await submitted_filing(deps, user)
    reviewer = await staff(Role.REVIEWER)
    view = present.filing(await filing_reveal.view(deps, filing, reviewer), reviewer.locale)
    assert view["drivers"][0]["id_number"] != OWNER_ID and not await AuditEvent.exists()
    value = await filing_reveal.reveal(deps, reviewer, filing.id, "drivers[0].id_number",
                                       "核对身份证号")
    assert value == OWNER_ID
    event = await AuditEvent.get(subject_type="filing", subject_id=filing.id)
    assert event.actor_id == reviewer.id and event.action == "reveal"  # type: ignore[attr-defined]
    assert event.detail == {"need": "review", "purpose": "核对身份证号"}


async def test_illegal_transitions_refused(deps) -> None:
    user = await driver_user()
    filing = await submitted_filing(deps, user)
    with pytest.raises(Conflict):
        await filings.update(deps, user, filing.id, {"vehicle": {"model": "x"}})
    with pytest.raises(Conflict):
        await filings.submit(deps, user, filing.id)
    approved = await approved_filing(deps, await driver_user("bob"),
                                     personal_body(plate_number="云N99999"))
    with pytest.raises(Conflict):
        await filings.submit(deps, await approved.applicant, approved.id)


async def test_other_users_cannot_see_or_edit(deps) -> None:
    alice, bob = await driver_user("alice"), await driver_user("bob")
    filing = await filings.create(deps, alice, personal_body())
    with pytest.raises(NotFound):
        await filings.visible(bob, filing.id)
    with pytest.raises(NotFound):
        await filings.update(deps, bob, filing.id, {"vehicle": {"model": "x"}})


async def test_second_live_filing_of_one_plate_refused(deps) -> None:
    await submitted_filing(deps, await driver_user("alice"))
    with pytest.raises(FieldErrors) as err:
        await submitted_filing(deps, await driver_user("bob"))
    assert codes(err.value) == {"vehicle.plate_number": "plate_already_filed",
                                "vehicle.vin": "vin_already_filed"}  # the same vehicle


async def test_a_listed_driver_sees_the_filing_in_one_read(deps) -> None:  # R-U5, R-U7
    alice, bob, carol = [await driver_user(n) for n in ("alice", "bob", "carol")]
    body = personal_body()
    body["drivers"].append({"name": "玉香", "id_number": SECOND_ID, "licence_number": SECOND_ID,
                            "permit_number": "C87654321", "phone": "13900001111",
                            "is_owner": False})
    body["documents"] = await attach_all(deps, alice, "personal", drivers=2)
    filing = await filings.create(deps, alice, body)
    await FilingDriver.filter(filing=filing, name="玉香").update(user_id=bob.id)
    seen, parts = await filings.visible_with_parts(bob, filing.id)
    assert seen.id == filing.id and parts.has_driver(bob.id) and not parts.has_driver(carol.id)
    shown = present.filing(await filings.view(deps, seen, parts=parts), bob.locale)
    assert [d["name"] for d in shown["drivers"]] == [body["drivers"][0]["name"], "玉香"]
    assert [d["is_owner"] for d in shown["drivers"]] == [True, False]
    assert shown["drivers"][1]["id_number"] != SECOND_ID  # masked for a driver (R-U7)
    assert shown["drivers"][1]["phone"] != "13900001111"
    slots = {s.kind: s.document_id for s in await FilingDocument.filter(filing=filing)}
    assert shown["documents"] == slots and slots
    # the same without parts given
    assert present.filing(await filings.view(deps, seen), bob.locale) == shown
    with pytest.raises(NotFound):
        await filings.visible(carol, filing.id)
