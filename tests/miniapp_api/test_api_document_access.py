"""Who may fetch which kind of document (R-U7): one rule in services for the API and the
console; refusals are 404 so existence is not revealed; staff reads are audited; answers
holding personal data carry ``Cache-Control: no-store``."""

from __future__ import annotations

import pytest
from api_helpers import Caller

from borderpass.models import AuditEvent
from borderpass.services.filings import documents

pytestmark = pytest.mark.usefixtures("db")


@pytest.mark.parametrize(("role", "kind", "allowed"), [
    ("gate_supervisor", "id_card_front", False),  # never an identity document
    ("gate_supervisor", "driving_licence", False),
    ("gate_supervisor", "exit_entry_permit", False),
    ("gate_supervisor", "power_of_attorney", False),
    ("gate_supervisor", "business_licence", False),
    ("gate_supervisor", "photo_front_45", True),
    ("customs", "id_card_back", False),
    ("customs", "export_contract", True),
    ("customs", "vehicle_licence", True),
    ("reviewer", "id_card_front", True),
    ("admin", "exit_entry_permit", True),
    ("driver", "photo_side", False),  # another driver's document
])
async def test_document_matrix(login, staff_login, role: str, kind: str,
                               allowed: bool) -> None:
    alice = await login()
    status, doc = await alice.upload(kind)
    assert status == 201, doc
    caller: Caller = await login("bob") if role == "driver" else await staff_login(role)
    for suffix in ("", "/file"):
        status, body = await caller.call("GET", f"/api/v1/documents/{doc['id']}{suffix}")
        assert status == (200 if allowed else 404), body
    reads = await AuditEvent.filter(action="read", subject_type="document").count()
    assert reads == (2 if allowed else 0)
    if allowed:  # the one rule the console applies too
        event = await AuditEvent.filter(action="read").first()
        assert event is not None and event.detail == {"kind": kind}
    missing = await caller.call("GET", "/api/v1/documents/999999/file")
    assert missing[0] == 404  # the same answer as a refused one


async def test_owner_reads_own_documents_unaudited(login) -> None:
    alice = await login()
    _s, doc = await alice.upload("id_card_front")
    status, data = await alice.call("GET", f"/api/v1/documents/{doc['id']}/file")
    assert status == 200 and data[:2] == b"\xff\xd8"
    assert not await AuditEvent.exists()


def test_every_document_kind_has_a_group() -> None:
    from borderpass.services.filings.requirements import DOCUMENT_KINDS

    groups = (documents.IDENTITY_KINDS, documents.PERSONAL_KINDS, documents.VEHICLE_KINDS,
              documents.ORGANISATION_KINDS)
    assert set(DOCUMENT_KINDS) == set().union(*groups)
    assert sum(len(g) for g in groups) == len(DOCUMENT_KINDS)  # each kind in one group


async def test_no_store_on_answers_with_personal_data(client, login, staff_login) -> None:
    alice = await login()
    _s, doc = await alice.upload("id_card_front")
    for path in ("/api/v1/me", "/api/v1/filings", f"/api/v1/documents/{doc['id']}",
                 f"/api/v1/documents/{doc['id']}/file", "/api/v1/filings/999999"):
        resp = await client.get(path, headers=alice.headers)
        assert resp.headers.get("Cache-Control") == "no-store", path
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": "nobody", "password": "wrong-password"})
    assert resp.status == 401 and resp.headers["Cache-Control"] == "no-store"
    for path in ("/console/login", "/console/review"):  # a page, a redirect to login
        resp = await client.get(path, allow_redirects=False)
        assert resp.headers.get("Cache-Control") == "no-store", path
    resp = await client.get("/console/static/console.css")
    assert resp.status == 200 and resp.headers.get("Cache-Control") != "no-store"
