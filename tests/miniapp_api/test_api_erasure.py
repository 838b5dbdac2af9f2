"""Deletion on request through the API (R-D7): what may go is deleted at once, the rest is
kept, restricted, for its period; legal holds (R-D5) and filings in force defer the
account's erasure and are named; idempotent under retries and twins; audited without
personal data; the person's subject key is destroyed (crypto-shredding)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from api_helpers import approved_filing_id, attach_documents
from factories import jpeg, personal_body

from borderpass.models import (
    AuditEvent,
    BlacklistEntry,
    DataExport,
    Document,
    Filing,
    PrivacyConsent,
    SubjectKey,
    User,
)
from borderpass.models.enums import FilingStatus, SubjectKind
from borderpass.services import audit, clock, sweeps
from borderpass.services.filings import documents
from borderpass.services.privacy import retention
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")
CONFIRM = {"confirm": True}


async def _names(user_id: int) -> list[str]:
    return [documents.stored_name(d) for d in await Document.filter(owner_id=user_id)]


async def test_deletion_needs_a_confirmation(login) -> None:
    alice = await login("alice")
    for body in ({}, {"confirm": False}, {"confirm": "yes"}):
        status, err = await alice.call("POST", "/api/v1/me/deletion", json=body)
        assert status == 422 and err["error"]["code"] == "deletion_not_confirmed"
        assert err["error"]["field"] == "confirm"
    assert (await User.get(id=alice.user_id)).erasure_requested_at is None


async def test_nothing_held_everything_goes_at_once_once(login, client) -> None:  # R-D7
    alice, bob = await login("alice"), await login("bob")
    deps = client.app[DEPS]
    await alice.call("PATCH", "/api/v1/me", json={"display_name": "Aung", "phone": "13900001111"})
    body = personal_body(plate_number="云N70001")
    body["documents"] = await attach_documents(alice)
    status, draft = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201, draft
    status, _ = await alice.upload("exit_entry_permit", jpeg(71, 52))
    assert status == 201
    await alice.call("GET", "/api/v1/me/data")
    await sweeps.run_sweeps(deps)  # the export is built, sealed under alice's key
    status, theirs = await bob.upload("id_card_front", jpeg(71, 52))  # same image, bob's
    assert status == 201
    names = await _names(alice.user_id)
    assert names and all(deps.files.modified_at(n) for n in names)

    answers = await asyncio.gather(*(alice.call("POST", "/api/v1/me/deletion", json=CONFIRM)
                                     for _ in range(2)))  # twins
    assert [a[0] for a in answers] == [200, 200], answers
    first = next(a for s, a in answers if not a["repeated"])
    assert sorted(a["repeated"] for _, a in answers) == [False, True]
    assert first["account_erased"] is True and first["kept"] == [] and \
        first["deferred_by"] == []
    # each record deleted once, by whichever twin got to it first
    assert sum(a["deleted"]["subject_key"] for _, a in answers) == 1
    assert sum(a["deleted"]["drafts"] for _, a in answers) == 1
    assert not await Filing.filter(id=draft["id"]).exists()
    assert not await Document.filter(owner_id=alice.user_id).exists()
    assert not await DataExport.filter(user_id=alice.user_id).exists()
    assert not await SubjectKey.filter(user_id=alice.user_id).exists()
    assert not any(deps.files.modified_at(n) for n in names)
    me = await User.get(id=alice.user_id)
    assert (me.display_name, me.phone, me.sealed, me.phone_key, me.openid, me.is_active) == \
        ("", None, {}, None, None, False)
    assert me.erased_at is not None
    assert not await PrivacyConsent.filter(user_id=me.id, withdrawn_at__isnull=True).exists()
    # bob's copy of the same image is his, under his own key: untouched
    status, image = await bob.call("GET", f"/api/v1/documents/{theirs['id']}/file")
    assert status == 200 and image
    # the session is gone; a retry with it is refused, nothing deleted twice
    status, _ = await alice.call("POST", "/api/v1/me/deletion", json=CONFIRM)
    assert status == 401
    events = await AuditEvent.filter(action="erase", subject_type="user")
    assert len(events) == 1 and events[0].subject_id == alice.user_id
    detail = json.dumps(events[0].detail, ensure_ascii=False)
    assert "13900001111" not in detail and "Aung" not in detail and "云N70001" not in detail
    assert (await audit.verify()).broken_id is None


async def test_holds_and_filings_in_force_defer_and_are_named(login, client,
                                                             staff_login) -> None:
    alice = await login("alice")  # R-D5, R-D7
    reviewer = await staff_login("reviewer")
    deps = client.app[DEPS]
    in_force = await approved_filing_id(alice, reviewer, plate_number="云N70002")
    filing = await Filing.get(id=in_force)
    await BlacklistEntry.create(subject_kind=SubjectKind.PERSON, subject_key=filing.owner_key,
                                subject_label="岩*", reason="overstay", filing=filing,
                                suspected_smuggling=True)
    status, loose = await alice.upload("exit_entry_permit", jpeg(73, 52))
    kept_docs = await Document.filter(attachments__filing_id=in_force).count()
    status, done = await alice.call("POST", "/api/v1/me/deletion", json=CONFIRM)
    assert status == 200, done
    assert done["deleted"]["documents"] == 1 and done["account_erased"] is False
    assert [(k["id"], k["reason"], k["holds"], k["kept_until"]) for k in done["kept"]] == \
        [(in_force, "in_force", ["smuggling_referral"], None)]
    assert done["deferred_by"] == ["in_force", "smuggling_referral"]
    assert not await Document.filter(id=loose["id"]).exists()
    assert await Document.filter(attachments__filing_id=in_force).count() == kept_docs
    assert retention.ANONYMISED not in (await Filing.get(id=in_force)).data
    assert "restricted_at" in (await Filing.get(id=in_force)).data  # marked
    assert await SubjectKey.filter(user_id=alice.user_id).exists()  # kept documents need it
    status, err = await alice.upload("id_card_front")  # processing restricted
    assert status == 422 and err["error"]["code"] == "consent_required"
    for path in ("/api/v1/filings", f"/api/v1/filings/{in_force}/correct",
                 f"/api/v1/filings/{in_force}/renew"):  # no new purpose either
        status, err = await alice.call("POST", path, json={"category": "personal"}
                                       if path == "/api/v1/filings" else {})
        assert status == 409 and err["error"]["code"] == "erasure_requested", (path, err)
    status, again = await alice.call("POST", "/api/v1/me/deletion", json=CONFIRM)
    assert again["repeated"] is True and again["requested_at"] == done["requested_at"]
    assert await AuditEvent.filter(action="erase").count() == 1

    # the hold is lifted, the filing expires, a year passes: the sweep finishes the job
    await BlacklistEntry.filter(filing_id=in_force).update(lifted_at=clock.now())
    await Filing.filter(id=in_force).update(status=FilingStatus.EXPIRED,
                                            expires_at=clock.now())
    clock.freeze(clock.now() + timedelta(days=200))
    counts = await retention.sweep(deps)
    # nothing holds the account any more: erased; the ended filing is kept a year (R-D4),
    # its documents with it, so the key that opens them stays
    assert counts["erased_accounts"] == 1 and counts["shredded_keys"] == 0
    me = await User.get(id=alice.user_id)
    assert me.erased_at is not None and me.openid is None
    assert await SubjectKey.filter(user_id=alice.user_id).exists()
    clock.freeze(clock.now() + timedelta(days=200))
    counts = await retention.sweep(deps)
    assert counts["anonymised_filings"] == 1 and counts["shredded_keys"] == 1
    assert not await SubjectKey.filter(user_id=alice.user_id).exists()
    assert (await retention.sweep(deps))["shredded_keys"] == 0  # idempotent


async def test_documents_an_export_record_names_are_kept(login, client) -> None:  # R-D7
    from borderpass.models.export import Enterprise, EnterpriseFiling, FilingKind
    from borderpass.services.validators import make_uscc

    alice = await login("alice")
    status, licence = await alice.upload("business_licence", jpeg(91, 61))
    assert status == 201
    status, loose = await alice.upload("business_licence", jpeg(92, 62))
    firm = await Enterprise.create(uscc=make_uscc("MA6K3Q9X"), name="瑞丽出口有限公司")
    await EnterpriseFiling.create(enterprise=firm, applicant_id=alice.user_id,
                                  kind=FilingKind.NEW, documents={"business_licence":
                                                                  licence["id"]},
                                  submitted_at=clock.now(), review_due_at=clock.now())
    status, done = await alice.call("POST", "/api/v1/me/deletion", json=CONFIRM)
    assert status == 200 and done["deleted"]["documents"] == 1, done
    assert await Document.filter(id=licence["id"]).exists()  # the enterprise's record
    assert not await Document.filter(id=loose["id"]).exists()
