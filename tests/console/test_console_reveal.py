"""Personal data on the filing desk (R-U7): masked by default, one field revealed on an
explicit, CSRF-protected "show", only for a role that needs it, each reveal audited."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login, csrf
from factories import OWNER_ID, approved_filing, driver_user, personal_body, submitted_filing

from borderpass.core.masking import mask_number
from borderpass.models import AuditEvent, BlacklistEntry, Document, Filing, User
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")
PHONE = "13812345678"


def deps_of(client: TestClient) -> Any:
    return client.server.app[DEPS]


async def _reviewer_on(client: TestClient) -> tuple[Filing, str]:
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    await console_login(client, "reviewer")
    return filing, await csrf(client, f"/console/review/filings/{filing.id}")


async def test_detail_masks_identity_numbers_phone_and_names(client: TestClient) -> None:
    filing, _token = await _reviewer_on(client)
    reading = {"fields": {"id_number": {"value": OWNER_ID, "confidence": 0.98},
                          "name": {"value": "岩温", "confidence": 0.9}}}
    await Document.filter(kind="id_card_front").update(ocr=reading)  # OCR readings too
    html = await (await client.get(f"/console/review/filings/{filing.id}")).text()
    assert OWNER_ID not in html and PHONE not in html and "岩温" not in html
    assert mask_number(OWNER_ID) in html and "岩*" in html
    assert 'name="field" value="drivers[0].id_number"' in html  # the "show" action
    assert not await AuditEvent.exclude(action="update").exists()


async def test_reveal_shows_one_field_and_audits_it(client: TestClient) -> None:
    filing, token = await _reviewer_on(client)
    resp = await client.post(f"/console/filings/{filing.id}/reveal",
                             data={"csrf": token, "field": "drivers[0].id_number",
                                   "purpose": "核对身份证"})
    html = await resp.text()
    assert resp.status == 200 and OWNER_ID in html
    assert PHONE not in html and "岩温" not in html  # only the field asked for
    events = await AuditEvent.all()
    reviewer = await User.get(username="reviewer")
    assert [(e.actor_id, e.action, e.subject_type, e.subject_id, e.field_names)  # type: ignore[attr-defined]
            for e in events] == [(reviewer.id, "reveal", "filing", filing.id,
                                  ["drivers[0].id_number"])]
    assert events[0].at is not None
    assert events[0].detail == {"need": "review", "purpose": "核对身份证"}


async def test_reveal_needs_a_stated_purpose(client: TestClient) -> None:  # R-U7
    filing, token = await _reviewer_on(client)
    for purpose in ("", "   "):
        resp = await client.post(f"/console/filings/{filing.id}/reveal", data={
            "csrf": token, "field": "drivers[0].id_number", "purpose": purpose})
        html = await resp.text()
        assert resp.status == 422 and OWNER_ID not in html and "必须填写" in html
    assert not await AuditEvent.exclude(action="update").exists()


async def test_reveal_needs_csrf(client: TestClient) -> None:
    filing, _token = await _reviewer_on(client)
    resp = await client.post(f"/console/filings/{filing.id}/reveal",
                             data={"csrf": "forged", "field": "drivers[0].phone"})
    assert resp.status == 403 and PHONE not in await resp.text()
    assert not await AuditEvent.exclude(action="update").exists()


@pytest.mark.parametrize("field", ["drivers[0].password", "drivers[3].id_number",
                                   "vehicle.vin", ""])
async def test_bad_field_is_a_clear_error_without_audit(client: TestClient, field: str) -> None:
    filing, token = await _reviewer_on(client)
    resp = await client.post(f"/console/filings/{filing.id}/reveal",
                             data={"csrf": token, "field": field})
    html = await resp.text()
    assert resp.status == 422 and "不能显示此项" in html and OWNER_ID not in html
    assert not await AuditEvent.exclude(action="update").exists()
    await client.get("/console/lang/en?next=/console/review")
    resp = await client.post(f"/console/filings/{filing.id}/reveal",
                             data={"csrf": token, "field": field})
    assert resp.status == 422 and "cannot be shown" in await resp.text()
    assert not await AuditEvent.exclude(action="update").exists()


async def test_roles_without_the_need_get_403(client: TestClient) -> None:
    await add_staff("reviewer")
    filing = await approved_filing(deps_of(client), await driver_user())  # no longer in review
    await console_login(client, "reviewer")
    token = await csrf(client, f"/console/review/filings/{filing.id}")
    html = await (await client.get(f"/console/review/filings/{filing.id}")).text()
    assert 'name="field"' not in html  # no "show" buttons without the need
    resp = await client.post(f"/console/filings/{filing.id}/reveal",
                             data={"csrf": token, "field": "drivers[0].id_number",
                                   "purpose": "核对"})
    assert resp.status == 403 and OWNER_ID not in await resp.text()
    for role in ("gate_supervisor", "customs"):  # customs: not a blacklisted subject
        await client.post("/console/logout", data={"csrf": await csrf(client, "/console/")})
        await add_staff(role)
        await console_login(client, role)
        home = "/console/lanes" if role == "gate_supervisor" else "/console/blacklist"
        resp = await client.post(f"/console/filings/{filing.id}/reveal", data={
            "csrf": await csrf(client, home), "field": "owner.id_number", "purpose": "核对"})
        html = await resp.text()
        assert resp.status == 403 and OWNER_ID not in html
        assert role == "gate_supervisor" or "无权查看完整信息" in html
    assert not await AuditEvent.exclude(action="update").exists()


async def test_customs_reveals_a_blacklisted_owner(client: TestClient) -> None:  # R-F9
    filing = await approved_filing(deps_of(client), await driver_user())
    await BlacklistEntry.create(subject_kind="person", subject_key=filing.owner_key,
                                subject_label="岩*", reason="overstay", filing=filing)
    await add_staff("customs")
    await console_login(client, "customs")
    resp = await client.post(f"/console/filings/{filing.id}/reveal", data={
        "csrf": await csrf(client, "/console/blacklist"), "field": "owner.id_number",
        "purpose": "黑名单当事人核查"})
    assert resp.status == 200 and OWNER_ID in await resp.text()
    event = await AuditEvent.get(action="reveal")
    assert (event.field_names, event.detail) == (
        ["owner.id_number"], {"need": "blacklist", "purpose": "黑名单当事人核查"})


async def test_blacklist_page_offers_reveal_only_for_a_listed_owner(client: TestClient) -> None:
    """R-U7: customs see the listed owner masked with one audited "show"; not other subjects."""
    owner_listed = await approved_filing(deps_of(client), await driver_user())
    other = await approved_filing(deps_of(client), await driver_user("bob"),
                                  personal_body(plate_number="云N54321"))
    owner_entry = await BlacklistEntry.create(
        subject_kind="person", subject_key=owner_listed.owner_key, subject_label="岩*",
        reason="overstay", filing=owner_listed)
    await BlacklistEntry.create(subject_kind="person", subject_key="driver-key-of-someone",
                                subject_label="李*", reason="overstay", filing=other)
    await add_staff("customs")
    await console_login(client, "customs")
    html = await (await client.get("/console/blacklist")).text()
    assert OWNER_ID not in html
    assert html.count('class="inline reveal"') == 1
    assert f"/console/filings/{owner_listed.id}/reveal" in html
    assert f"/console/filings/{other.id}/reveal" not in html
    assert owner_entry.subject_label in html
    assert not await AuditEvent.exclude(action="update").exists()


@pytest.mark.parametrize(("role", "pages"), [
    ("reviewer", ["/console/review", "/console/review/filings/{id}"]),
    ("customs", ["/console/blacklist", "/console/blacklist?all=1", "/console/lifts"]),
    ("gate_supervisor", ["/console/lifts", "/console/lanes"]),
    ("admin", ["/console/review/filings/{id}", "/console/blacklist"]),
])
async def test_no_console_page_holds_a_full_number_or_phone(client: TestClient, role: str,
                                                            pages: list[str]) -> None:
    """R-U7 on every desk: numbers and phones masked for every role, nothing audited."""
    filing = await submitted_filing(deps_of(client), await driver_user())
    await BlacklistEntry.create(subject_kind="person", subject_key=filing.owner_key,
                                subject_label="岩*", reason="overstay", filing=filing)
    await add_staff(role)
    await console_login(client, role)
    for path in pages:
        resp = await client.get(path.format(id=filing.id))
        html = await resp.text()
        assert resp.status == 200, path
        assert OWNER_ID not in html and PHONE not in html and "C12345678" not in html, path
        assert resp.headers["Cache-Control"] == "no-store"
    assert not await AuditEvent.filter(action="reveal").exists()


async def test_gate_supervisor_never_gets_an_identity_image(client: TestClient) -> None:
    filing = await submitted_filing(deps_of(client), await driver_user())
    doc = await Document.get(kind="id_card_front")
    await add_staff("gate_supervisor")
    await console_login(client, "gate_supervisor")
    resp = await client.get(f"/console/documents/{doc.id}/image")
    assert resp.status in (403, 404) and resp.content_type == "text/html"
    assert not await AuditEvent.exclude(action="update").exists() and filing.id
