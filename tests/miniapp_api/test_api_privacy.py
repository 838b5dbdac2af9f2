"""Personal data through the API (PIPL): the notice and separate consent before identity
documents (R-D1), a new notice version, withdrawal (R-D2), the data export (R-D3)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import FormData
from api_helpers import approved_filing_id, attach_documents
from factories import jpeg, personal_body

from borderpass.models import AuditEvent, DataExport, Document, Filing, PrivacyConsent
from borderpass.models.notify import Notification
from borderpass.services import audit, clock, sweeps
from borderpass.services.filings import commitments, documents
from borderpass.services.notify import kinds
from borderpass.services.privacy import privacy
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")


async def _agree(caller, locale: str = "en") -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    status, shown = await caller.call("GET", f"/api/v1/privacy/notice?locale={locale}")
    assert status == 200, shown
    return await caller.call("POST", "/api/v1/privacy/consent", json={
        "version": shown["version"], "locale": shown["locale"],
        "text_sha256": shown["sha256"], "accepted": True})


async def _ocr(caller, kind: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    form = FormData()
    form.add_field("file", jpeg(), filename="x.jpg", content_type="image/jpeg")
    return await caller.call("POST", f"/api/v1/ocr/{kind}", data=form)


async def test_identity_upload_refused_before_consent_accepted_after(login) -> None:  # R-D1
    bob = await login("bob", consent=False)
    for kind in sorted(privacy.SENSITIVE_KINDS):
        status, err = await bob.upload(kind)
        assert status == 422, err
        assert (err["error"]["code"], err["error"]["field"]) == ("consent_required", "kind")
        assert "notice" in err["error"]["message"] or "告知" in err["error"]["message"]
    status, err = await _ocr(bob, "id_card_front")
    assert status == 422 and err["error"]["code"] == "consent_required"
    assert await Document.filter(owner_id=bob.user_id).count() == 0  # nothing stored
    status, doc = await bob.upload("vehicle_licence")  # not sensitive: no consent needed
    assert status == 201, doc
    status, state = await bob.call("GET", "/api/v1/privacy/consent")
    assert status == 200 and state["consented"] is False
    status, err = await bob.call("POST", "/api/v1/privacy/consent", json={
        "version": "v1", "locale": "en", "text_sha256": "0" * 64, "accepted": True})
    assert status == 422 and err["error"]["field"] == "text_sha256"
    status, err = await bob.call("POST", "/api/v1/privacy/consent", json={
        "version": "v1", "locale": "en", "text_sha256": privacy.notice("en").sha256})
    assert status == 422 and err["error"]["code"] == "consent_not_accepted"
    status, state = await _agree(bob, "my")
    assert status == 200 and state["consented"] is True, state
    proof = await PrivacyConsent.get(user_id=bob.user_id)
    assert (proof.version, proof.locale, proof.channel, proof.text_sha256) == \
        ("v1", "my", "miniapp", privacy.notice("my").sha256)
    assert (await _agree(bob))[0] == 200  # a second consent is the same one
    assert await PrivacyConsent.filter(user_id=bob.user_id).count() == 1
    status, doc = await bob.upload("id_card_front")
    assert status == 201, doc


async def test_a_new_notice_version_needs_consent_again(login, monkeypatch,
                                                        tmp_path: Path) -> None:  # R-D1
    alice = await login("alice")  # consented to v1
    assert (await alice.upload("id_card_front"))[0] == 201
    texts = tmp_path / "commitments"
    shutil.copytree(commitments.COMMITMENT_DIR, texts)
    for locale in ("zh_CN", "my", "en"):
        old = (texts / f"privacy.v1.{locale}.md").read_text(encoding="utf-8")
        (texts / f"privacy.v2.{locale}.md").write_text(old + "\n(v2)\n", encoding="utf-8")
    monkeypatch.setattr(commitments, "COMMITMENT_DIR", texts)
    monkeypatch.setattr(privacy, "CURRENT_VERSION", "v2")
    status, err = await alice.upload("id_card_back")
    assert status == 422 and err["error"]["code"] == "consent_required"
    status, err = await alice.call("POST", "/api/v1/privacy/consent", json={
        "version": "v1", "locale": "en", "text_sha256": privacy.commitment_text(
            "privacy", "v1", "en").sha256, "accepted": True})
    assert status == 422 and err["error"]["code"] == "consent_outdated"
    status, state = await _agree(alice)
    assert status == 200 and state["version"] == "v2"
    assert (await alice.upload("id_card_back"))[0] == 201
    assert await PrivacyConsent.filter(user_id=alice.user_id).count() == 2  # v1 kept as proof


async def test_withdrawal_stops_processing_and_deletes_what_may_go(login, client,
                                                                   staff_login) -> None:
    alice = await login("alice")  # R-D2
    reviewer = await staff_login("reviewer")
    kept_id = await approved_filing_id(alice, reviewer)
    body = personal_body(plate_number="云N77777")
    body["documents"] = await attach_documents(alice)
    status, draft = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201, draft
    status, loose = await alice.upload("exit_entry_permit", jpeg(77, 55))  # its own file
    assert status == 201
    files = client.app[DEPS].files
    name = documents.stored_name(await Document.get(id=loose["id"]))
    assert files.modified_at(name) is not None
    kept_docs = await Document.filter(attachments__filing_id=kept_id).count()
    status, done = await alice.call("POST", "/api/v1/privacy/withdraw", json={})
    assert status == 200, done
    assert done["deleted_drafts"] == 1 and done["deleted_documents"] == 1
    assert [k["filing_id"] for k in done["kept"]] == [kept_id]
    assert done["kept"][0]["kept_until"]  # a year after it expires (R-D4)
    assert not await Filing.filter(id=draft["id"]).exists()
    assert not await Document.filter(id=loose["id"]).exists()
    assert files.modified_at(name) is None
    assert await Document.filter(attachments__filing_id=kept_id).count() == kept_docs
    status, err = await alice.upload("id_card_front")  # processing stopped
    assert status == 422 and err["error"]["code"] == "consent_required"
    assert (await _ocr(alice, "driving_licence"))[0] == 422
    status, state = await alice.call("GET", "/api/v1/privacy/consent")
    assert state["consented"] is False and state["withdrawn_at"]
    assert await AuditEvent.filter(action="withdraw", subject_type="privacy").exists()
    assert (await audit.verify()).broken_id is None


async def test_export_holds_the_users_data_only_they_fetch_it_audited(
        login, client, staff_login) -> None:  # R-D3
    alice, bob = await login("alice"), await login("bob")
    reviewer = await staff_login("reviewer")
    await approved_filing_id(alice, reviewer, plate_number="云N11111")
    await approved_filing_id(bob, reviewer, plate_number="云N22222")
    status, job = await alice.call("GET", "/api/v1/me/data")
    assert status == 202 and job["status"] == "pending", job
    again = await alice.call("GET", "/api/v1/me/data")
    assert again == (202, job)  # one pending job, not two
    status, err = await alice.call("GET", f"/api/v1/me/data/{job['id']}/file")
    assert status == 409 and err["error"]["code"] == "export_not_ready"
    deps = client.app[DEPS]
    ran = await sweeps.run_sweeps(deps)  # the worker
    assert ran is not None and ran["data_exports"] == 1
    status, job = await alice.call("GET", f"/api/v1/me/data/{job['id']}")
    assert status == 200 and job["status"] == "ready" and job["expires_at"]
    for path in (f"/api/v1/me/data/{job['id']}", f"/api/v1/me/data/{job['id']}/file"):
        status, err = await bob.call("GET", path)
        assert status == 404 and err["error"]["code"] == "export_not_found"
    status, blob = await alice.call("GET", job["file"])
    assert status == 200
    archive = zipfile.ZipFile(io.BytesIO(blob))
    data = json.loads(archive.read("data.json"))
    text = json.dumps(data, ensure_ascii=False)
    assert data["user"]["id"] == alice.user_id
    assert [f["vehicle"]["plate_number"] for f in data["filings"]] == ["云N11111"]
    assert "云N22222" not in text
    assert data["privacy_consents"] and "filing_commitments" in data
    mine = await Document.filter(owner_id=alice.user_id).order_by("id")
    assert [d["id"] for d in data["documents"]] == [d.id for d in mine]
    for doc in data["documents"]:
        assert hashlib.sha256(archive.read(doc["file"])).hexdigest() == doc["sha256"]
    assert len(archive.namelist()) == 1 + len(mine)
    assert await AuditEvent.filter(actor_id=alice.user_id, action="export").count() == 1
    assert await AuditEvent.filter(actor_id=alice.user_id, action="download").count() == 1
    ready = await Notification.get(user_id=alice.user_id, kind=kinds.DATA_EXPORT_READY)
    assert ready.payload["export_id"] == job["id"]
    # it expires: refused, then deleted with its file by the retention sweep (R-D4)
    row = await DataExport.get(id=job["id"])
    clock.freeze(clock.now() + timedelta(days=8))
    status, _ = await alice.call("GET", job["file"])
    assert status == 404
    await sweeps.run_sweeps(deps)
    assert not await DataExport.filter(id=job["id"]).exists()
    assert deps.files.modified_at(row.sha256) is None
