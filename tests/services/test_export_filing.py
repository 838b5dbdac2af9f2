"""Enterprise filing for used-car export (R-E1): a year from approval, 15 working days."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from export_factories import EXPORT_USCC, exporter, filing_body, officer

from borderpass.core.errors import Conflict, FieldError, FieldErrors, Forbidden
from borderpass.models.enums import Role
from borderpass.models.export import Enterprise, EnterpriseFiling, ExportFilingStatus
from borderpass.services import clock
from borderpass.services.export import enterprises, summary
from borderpass.services.export.calendar import working_day_deadline, working_days_between
from borderpass.services.ports import Deps

pytestmark = pytest.mark.usefixtures("db")
SH = ZoneInfo("Asia/Shanghai")


def test_working_day_clock_skips_weekends_and_holidays() -> None:  # R-E1
    friday = datetime(2026, 9, 25, 16, 0, tzinfo=SH)
    due = working_day_deadline(friday, 15, SH)
    assert due.astimezone(SH) == datetime(2026, 10, 17, 0, 0, tzinfo=SH)
    national_day = frozenset(f"2026-10-0{d}" for d in range(1, 8))
    due = working_day_deadline(friday, 15, SH, national_day)
    assert due.astimezone(SH) == datetime(2026, 10, 24, 0, 0, tzinfo=SH)
    monday = datetime(2026, 9, 28, 9, 0, tzinfo=SH)
    assert working_days_between(friday, monday, SH) == 1
    assert working_days_between(friday, datetime(2026, 10, 9, 9, tzinfo=SH), SH,
                                national_day) == 5


async def test_submit_creates_enterprise_member_only_on_approval(deps: Deps) -> None:  # R-E1
    clock.freeze(datetime(2026, 9, 25, 8, 0, tzinfo=UTC))
    user = await exporter()
    filing = await enterprises.submit(deps, user, await filing_body(deps, user))
    assert filing.status is ExportFilingStatus.SUBMITTED
    assert filing.review_due_at.astimezone(SH).date().isoformat() == "2026-10-17"
    enterprise = await Enterprise.get(uscc=EXPORT_USCC)
    assert enterprise.name == "瑞丽二手车出口有限公司"
    assert await summary.own(user) == []  # R-E2: filing grants nothing before approval
    assert [f.id for f in await enterprises.list_own(user)] == [filing.id]
    reviewer = await officer(Role.REVIEWER)
    clock.freeze(datetime(2026, 10, 20, 8, 0, tzinfo=UTC))
    deps_holidays = Deps(deps.cipher, deps.files, deps.kv, deps.tz, frozenset({"2026-10-01"}))
    (item,) = await enterprises.queue(deps_holidays, reviewer)
    assert item.working_days_waited == 16 and item.overdue


async def test_new_filing_runs_a_year_and_a_new_one_restarts_it(deps: Deps) -> None:  # R-E1
    user, reviewer = await exporter(), await officer(Role.REVIEWER)
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    first = await enterprises.submit(deps, user, await filing_body(deps, user))
    first = await enterprises.approve(reviewer, first.id)
    assert first.expires_at == datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
    clock.freeze(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    renewal = await enterprises.submit(deps, user, await filing_body(deps, user))
    renewal = await enterprises.approve(reviewer, renewal.id)
    assert renewal.expires_at == datetime(2027, 11, 10, 2, 0, tzinfo=UTC)
    current = await enterprises.current_filing(renewal.enterprise_id, clock.now())  # type: ignore[attr-defined]
    assert current is not None and current.id == renewal.id


async def test_change_request_keeps_the_expiry_date(deps: Deps) -> None:  # R-E1
    user, reviewer = await exporter(), await officer(Role.REVIEWER)
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    first = await enterprises.approve(
        reviewer, (await enterprises.submit(deps, user, await filing_body(deps, user))).id)
    clock.freeze(datetime(2026, 8, 1, 2, 0, tzinfo=UTC))
    body = await filing_body(deps, user, kind="change", name="瑞丽新二手车出口有限公司")
    change = await enterprises.approve(reviewer, (await enterprises.submit(deps, user, body)).id)
    assert change.expires_at == first.expires_at
    assert (await Enterprise.get(uscc=EXPORT_USCC)).name == "瑞丽新二手车出口有限公司"


async def test_change_needs_a_filing_in_force(deps: Deps) -> None:  # R-E1
    user, reviewer = await exporter(), await officer(Role.REVIEWER)
    with pytest.raises(Conflict) as err:
        await enterprises.submit(deps, user, await filing_body(deps, user, kind="change"))
    assert err.value.code == "export_change_needs_filing"
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    await enterprises.approve(
        reviewer, (await enterprises.submit(deps, user, await filing_body(deps, user))).id)
    clock.freeze(datetime(2027, 3, 3, 2, 0, tzinfo=UTC))  # expired
    with pytest.raises(Conflict):
        await enterprises.submit(deps, user, await filing_body(deps, user, kind="change"))
    assert await EnterpriseFiling.all().count() == 1


async def test_refusal_states_every_reason_at_once(deps: Deps) -> None:  # R-E1
    user, reviewer = await exporter(), await officer(Role.REVIEWER)
    filing = await enterprises.submit(deps, user, await filing_body(deps, user))
    reasons = [{"field": "documents.export_filing_form", "message": "未盖公章"},
               {"field": "address", "message": "与营业执照不一致"}]
    refused = await enterprises.refuse(reviewer, filing.id, reasons)
    assert refused.status is ExportFilingStatus.REFUSED and refused.refusal_reasons == reasons
    with pytest.raises(Conflict):
        await enterprises.approve(reviewer, filing.id)
    again = await enterprises.submit(deps, user, await filing_body(deps, user))
    for bad in ([], [{"field": "nonsense", "message": "x"}], [{"field": "address"}]):
        with pytest.raises(FieldError):
            await enterprises.refuse(reviewer, again.id, bad)
    await again.refresh_from_db()
    assert again.status is ExportFilingStatus.SUBMITTED
    with pytest.raises(Forbidden):
        await enterprises.approve(user, again.id)


async def test_bad_application_lists_every_problem_and_stores_nothing(deps: Deps) -> None:
    user = await exporter()
    body = await filing_body(deps, user)
    body |= {"uscc": EXPORT_USCC[:-1] + ("0" if EXPORT_USCC[-1] != "0" else "1"),
             "contact_phone": "12345", "filing_kind": "renew"}
    del body["documents"]["export_filing_form"]
    with pytest.raises(FieldErrors) as err:
        await enterprises.submit(deps, user, body)
    fields = {(e.code, e.field) for e in err.value.errors}
    assert fields == {("choice", "filing_kind"), ("uscc_checksum", "uscc"),
                      ("phone_format", "contact_phone"),
                      ("document_required", "documents.export_filing_form")}
    assert await Enterprise.all().count() == 0


async def test_only_the_enterprise_files_for_itself(deps: Deps) -> None:  # R-E1, R-E2
    alice, bob = await exporter("alice"), await exporter("bob")
    await enterprises.submit(deps, alice, await filing_body(deps, alice))
    with pytest.raises(Conflict) as pending:
        await enterprises.submit(deps, alice, await filing_body(deps, alice))
    assert pending.value.code == "export_filing_pending"
    await enterprises.approve(await officer(Role.REVIEWER),
                              (await EnterpriseFiling.get(applicant_id=alice.id)).id)
    with pytest.raises(Forbidden) as err:  # R-E2: once it has members, members only
        await enterprises.submit(deps, bob, await filing_body(deps, bob))
    assert err.value.code == "export_not_member"
    body = await filing_body(deps, bob)
    body["documents"]["business_licence"] = (await filing_body(deps, alice))["documents"][
        "business_licence"]
    with pytest.raises(FieldErrors) as docs:
        await enterprises.submit(deps, bob, body | {"uscc": "91530000MA7P8C3L0X"})
    assert ("document_not_found", "documents.business_licence") in {
        (e.code, e.field) for e in docs.value.errors}
