"""The retention sweep (R-D4, R-D5): abandoned drafts go after 90 days with their documents'
files, filings in force stay, ended filings are anonymised a year after they end unless a
legal hold stops it; idempotent; a crash between batches leaves no record half-deleted; the
audit chain still verifies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import approved_filing, attach_all, consented, driver_user, jpeg, personal_body

from borderpass.models import (
    AuditEvent,
    BlacklistEntry,
    Document,
    Filing,
    FilingDocument,
    FilingDriver,
    User,
)
from borderpass.models.enums import FilingStatus, SubjectKind
from borderpass.services import audit, clock
from borderpass.services.filings import documents, filings
from borderpass.services.privacy import retention
from borderpass.services.validators import make_vin

pytestmark = pytest.mark.usefixtures("db")


async def _draft(deps, user, n: int) -> tuple[Filing, list[str]]:  # type: ignore[no-untyped-def]
    """A draft whose document images are its own (the store keeps one file per content)."""
    body = personal_body(plate_number=f"云N8800{n}", vin=make_vin(f"LSVAM4187C22190{n}"))
    slots = await attach_all(deps, user, "personal")
    await consented(user)
    body["documents"] = {slot: (await documents.upload(
        deps, user, slot.split("#")[0], jpeg(40 + n, 30 + i))).id
        for i, slot in enumerate(slots)}
    draft = await filings.create(deps, user, body)
    digests = [documents.stored_name(d)
               for d in await Document.filter(attachments__filing_id=draft.id)]
    return draft, digests


async def _whole(deps, filing_id: int, digests: list[str]) -> bool:  # type: ignore[no-untyped-def]
    """True when the draft is all there (rows and files), False when all gone; else fail."""
    there = [await Filing.filter(id=filing_id).exists(),
             await FilingDriver.filter(filing_id=filing_id).exists(),
             await FilingDocument.filter(filing_id=filing_id).exists(),
             await Document.filter(file_name__in=digests).exists()]
    assert len(set(there)) == 1, there
    return there[0]


def _stored(deps, name: str) -> bool:  # type: ignore[no-untyped-def]
    """True when the store still holds a file of that name (sealed: R-D7)."""
    return deps.files.modified_at(name) is not None


async def test_abandoned_draft_goes_after_90_days_a_filing_in_force_stays(deps) -> None:
    alice, bob = await driver_user("alice"), await driver_user("bob")
    draft, digests = await _draft(deps, alice, 1)
    in_force = await approved_filing(deps, bob, personal_body(plate_number="云N99999"))
    kept = [documents.stored_name(d)
               for d in await Document.filter(attachments__filing_id=in_force.id)]
    start = clock.now()
    clock.freeze(start + timedelta(days=89))
    assert (await retention.sweep(deps))["drafts"] == 0  # not yet (R-D4)
    assert await _whole(deps, draft.id, digests)
    clock.freeze(start + timedelta(days=91))
    counts = await retention.sweep(deps)
    assert counts["drafts"] == 1 and counts["files"] >= 1
    assert not await _whole(deps, draft.id, digests)
    assert not any(_stored(deps, d) for d in set(digests) - set(kept))
    assert (await Filing.get(id=in_force.id)).status is FilingStatus.APPROVED
    assert all(_stored(deps, d) for d in kept)
    assert await FilingDocument.filter(filing_id=in_force.id).count() == len(kept)
    again = await retention.sweep(deps)  # idempotent
    assert not any(again.values())
    event = await AuditEvent.filter(subject_type="retention").order_by("-id").first()
    assert event is not None and event.detail["drafts"] == 1
    assert "云N" not in str(event.detail)  # counts, no personal data
    assert (await audit.verify()).broken_id is None


async def test_a_crash_between_batches_leaves_nothing_half_deleted(deps, monkeypatch) -> None:
    user = await driver_user("carol")
    drafts = [await _draft(deps, user, n) for n in range(5)]
    monkeypatch.setattr(retention, "BATCH", 2)
    real, calls = retention.delete_documents, []

    async def crashing(ids):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:  # inside the third draft's transaction, after its rows went
            raise RuntimeError("worker killed")
        return await real(ids)

    monkeypatch.setattr(retention, "delete_documents", crashing)
    clock.freeze(clock.now() + timedelta(days=91))
    with pytest.raises(RuntimeError):
        await retention.sweep(deps)
    states = [await _whole(deps, d.id, digests) for d, digests in drafts]
    assert states == [False, False, True, True, True]  # two gone whole, the rest untouched
    assert all(_stored(deps, x) for x in drafts[2][1])
    monkeypatch.setattr(retention, "delete_documents", real)
    assert (await retention.sweep(deps))["drafts"] == 3  # the next run goes on
    assert not any([await _whole(deps, d.id, digests) for d, digests in drafts])
    assert not any(_stored(deps, x) for _, digests in drafts for x in digests)


async def test_ended_filing_anonymised_a_year_after_unless_held(deps) -> None:  # R-D5
    owner = await driver_user("dave")
    filing = await approved_filing(deps, owner)
    digests = [documents.stored_name(d)
               for d in await Document.filter(attachments__filing_id=filing.id)]
    entry = await BlacklistEntry.create(
        subject_kind=SubjectKind.PERSON, subject_key=filing.owner_key, subject_label="岩*",
        reason="overstay", filing=filing, suspected_smuggling=True)
    assert filing.expires_at is not None
    clock.freeze(filing.expires_at + timedelta(days=1))
    await Filing.filter(id=filing.id).update(status=FilingStatus.EXPIRED)
    clock.freeze(filing.expires_at + timedelta(days=366))
    counts = await retention.sweep(deps)
    assert counts["held"] == 1 and counts["anonymised_filings"] == 0
    assert all(_stored(deps, d) for d in digests)
    entry.lifted_at = clock.now()
    await entry.save()
    counts = await retention.sweep(deps)
    assert counts["anonymised_filings"] == 1
    kept = await Filing.get(id=filing.id)
    assert kept.sealed == {} and kept.owner_key is None and "owner" not in kept.data
    assert "owner_name" not in kept.data["vehicle"]
    assert kept.plate_number  # the vehicle's record stays for the crossings and the ledger
    drivers = await FilingDriver.filter(filing_id=filing.id)
    assert all(d.name == "—" and d.sealed == {} and d.id_key is None for d in drivers)
    assert not await FilingDocument.filter(filing_id=filing.id).exists()
    assert not any(_stored(deps, d) for d in digests)
    assert not any((await retention.sweep(deps)).values())
    assert (await audit.verify()).broken_id is None


async def test_the_worker_runs_retention_once_an_hour(deps) -> None:  # R-D4
    user = await driver_user("erin")
    draft, _ = await _draft(deps, user, 7)
    start = clock.now()
    assert (await retention.sweep_due(deps))["drafts"] == 0
    clock.freeze(start + timedelta(days=91))
    assert (await retention.sweep_due(deps))["drafts"] == 1  # the hour has passed
    await _draft(deps, user, 8)
    await Filing.filter(id__gt=draft.id).update(updated_at=start)
    assert await retention.sweep_due(deps) == {}  # within the hour: not again
    clock.freeze(start + timedelta(days=91, hours=1))
    assert (await retention.sweep_due(deps))["drafts"] == 1


async def test_superseded_filing_kept_until_a_year_after_its_expiry(deps) -> None:  # R-D6
    """The history a correction leaves is kept like the year it covered: anonymised a year
    after its expiry; the documents its correction still uses stay."""
    from borderpass.services.filings import corrections, review

    owner = await driver_user("erin")
    old = await approved_filing(deps, owner)
    draft = await corrections.start(owner, old.id)
    await filings.update(deps, owner, draft.id, {"vehicle": {"model": "丰田牌TV7"}})
    await filings.submit(deps, owner, draft.id)
    reviewer = await User.get(username="reviewer")
    await review.approve(reviewer, draft.id)
    assert (await Filing.get(id=old.id)).status is FilingStatus.SUPERSEDED
    assert old.expires_at is not None
    digests = [documents.stored_name(d)
               for d in await Document.filter(attachments__filing_id=old.id)]
    clock.freeze(old.expires_at + timedelta(days=364))
    assert (await retention.sweep(deps))["anonymised_filings"] == 0  # not yet (R-D4)
    clock.freeze(old.expires_at + timedelta(days=366))
    assert (await retention.sweep(deps))["anonymised_filings"] == 1
    kept = await Filing.get(id=old.id)
    assert kept.sealed == {} and kept.status is FilingStatus.SUPERSEDED
    assert not await FilingDocument.filter(filing_id=old.id).exists()
    assert all(_stored(deps, d) for d in digests)  # the correction still uses them
