"""The reviewer's desk and the admin's pages over plain HTTP (issue #19 items 7–8): claims
shown and enforced, the next filing after a decision, the queue's total and pages, labels
instead of codes, staff deactivation and password reset, unit documents, ledger reasons,
the fallback registration QR's page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import PASSWORD, add_staff, console_login, csrf
from factories import driver_user, personal_body, submitted_filing

from borderpass.console import review_pages
from borderpass.models import AuditEvent, Document, User
from borderpass.models.claims import ReviewClaim
from borderpass.models.enums import FilingStatus
from borderpass.services.filings import documents
from borderpass.services.gate import gate_lifts, lanes
from borderpass.services.units import units
from borderpass.web.appkeys import DEPS, GATE, SETTINGS

pytestmark = pytest.mark.usefixtures("db")
_TAGS = re.compile(r"<[^>]+>")


def deps_of(client: TestClient) -> Any:
    return client.server.app[DEPS]


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return _TAGS.sub(" ", html)


async def switch_to(client: TestClient, username: str) -> str:
    client.session.cookie_jar.clear()
    return await console_login(client, username)


async def test_claim_is_shown_and_a_second_reviewer_must_take_over(
        client: TestClient) -> None:  # R-F11
    await add_staff("reviewer", "rev-a")
    await add_staff("reviewer", "rev-b")
    filing = await submitted_filing(deps_of(client), await driver_user())
    path = f"/console/review/filings/{filing.id}"
    await console_login(client, "rev-a")
    html = await (await client.get(path)).text()
    assert 'id="approve-form"' in html and "您正在审核" in html
    assert (await ReviewClaim.get(filing_id=filing.id)).holder == "Rev-A"

    queue = await switch_to(client, "rev-b")
    assert "Rev-A 正在审核" in queue  # the queue shows who holds it
    html = await (await client.get(path)).text()
    assert "Rev-A 正在审核" in html and 'id="takeover-form"' in html
    assert 'id="approve-form"' not in html and 'id="return-form"' not in html
    token = await csrf(client, path)
    resp = await client.post(f"{path}/approve", data={"csrf": token})
    assert resp.status == 409 and "Rev-A 正在审核此备案" in await resp.text()
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.SUBMITTED
    # Taking over needs the CSRF token like every POST…
    assert (await client.post(f"{path}/claim", data={"take_over": "1"})).status == 403
    resp = await client.post(f"{path}/claim", data={"csrf": token, "take_over": "1"})
    assert resp.status == 200 and 'id="approve-form"' in await resp.text()
    assert await AuditEvent.exists(action="claim_takeover", subject_id=filing.id)
    resp = await client.post(f"{path}/approve", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.APPROVED


async def test_after_a_decision_the_next_filing_opens(client: TestClient) -> None:  # R-F11
    await add_staff("reviewer")
    first = await submitted_filing(deps_of(client), await driver_user("a"))
    second = await submitted_filing(deps_of(client), await driver_user("b"),
                                    personal_body(plate_number="云N22222"))
    await console_login(client, "reviewer")
    token = await csrf(client, f"/console/review/filings/{first.id}")
    resp = await client.post(f"/console/review/filings/{first.id}/approve",
                             data={"csrf": token}, allow_redirects=False)
    assert resp.headers["Location"] == f"/console/review/filings/{second.id}?done=approved"
    html = await (await client.get(resp.headers["Location"])).text()
    assert "备案已通过" in html and f"备案 {second.id}" in html
    resp = await client.post(f"/console/review/filings/{second.id}/return", data={
        "csrf": token, "field_0": "vehicle.vin", "code_0": "invalid"}, allow_redirects=False)
    assert resp.headers["Location"] == "/console/review?done=returned"  # queue empty


async def test_skip_releases_the_claim_and_opens_the_next(client: TestClient) -> None:
    await add_staff("reviewer")
    first = await submitted_filing(deps_of(client), await driver_user("a"))
    second = await submitted_filing(deps_of(client), await driver_user("b"),
                                    personal_body(plate_number="云N22222"))
    await console_login(client, "reviewer")
    token = await csrf(client, f"/console/review/filings/{first.id}")
    assert await ReviewClaim.exists(filing_id=first.id)
    resp = await client.post(f"/console/review/filings/{first.id}/skip",
                             data={"csrf": token}, allow_redirects=False)
    assert resp.headers["Location"] == f"/console/review/filings/{second.id}"
    assert not await ReviewClaim.exists(filing_id=first.id)


async def test_queue_shows_total_and_pages(client: TestClient, monkeypatch: Any) -> None:
    monkeypatch.setattr(review_pages, "PER_PAGE", 2)
    await add_staff("reviewer")
    made = [await submitted_filing(deps_of(client), await driver_user(f"d{i}"),
                                   personal_body(plate_number=f"云N1000{i}")) for i in range(3)]
    html = await console_login(client, "reviewer")
    assert 'data-total="3"' in html and "共 3 件待审核，第 1/2 页" in html
    assert "/console/review?page=2" in html
    html = await (await client.get("/console/review?page=2")).text()
    assert "第 2/2 页" in html and f"/console/review/filings/{made[2].id}" in html
    assert f"/console/review/filings/{made[0].id}" not in html
    part = await (await client.get("/console/review/queue.part?page=2")).text()
    assert "第 2/2 页" in part
    for bad in ("0", "-1", "abc", "99999999999"):  # nonsense pages are clamped, not errors
        assert (await client.get(f"/console/review?page={bad}")).status == 200


async def test_labels_not_codes_on_the_filing_desk(client: TestClient) -> None:
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    doc = await Document.filter(owner_id=filing.applicant_id,  # type: ignore[attr-defined]
                                kind="vehicle_licence").first()
    assert doc is not None
    documents.seal_reading(deps_of(client), doc, {
        "kind": "vehicle_licence", "warnings": ["no_text"], "angle": 0,
        "fields": {"plate_number": {"value": None, "confidence": 0.0,
                                    "warnings": ["no_text"]},
                   "vin": {"value": "LSVAM4187C2218360", "confidence": 0.5,
                           "warnings": ["vin_checksum"]}}})
    await doc.save()
    await console_login(client, "reviewer")
    html = await (await client.get(f"/console/review/filings/{filing.id}")).text()
    seen = text_of(html)
    for code in ("paper", "no_text", "plate_number", "vin_checksum", "personal", "submitted"):
        assert code not in seen, code
    assert "纸质行驶证" in seen and "照片上没有识别出文字" in seen
    assert "车辆识别代号校验未通过" in seen
    assert 'target="_blank"' not in html and 'data-viewer="1"' in html  # viewer, no new tab
    assert 'id="viewer"' in html and 'class="actionbar"' in html


async def test_labels_not_codes_on_gate_and_customs_pages(client: TestClient) -> None:  # R-G4
    gate = client.server.app[GATE]
    lane, _token = await lanes.create(gate.deps, {"code": "gate-a1", "port": "ruili",
                                                  "lane_type": "people", "direction": "exit"})
    lift = await gate_lifts.request_lift(gate, lane, "guard-7", "扫码器故障，人工核验", "云N33333")
    await add_staff("customs")
    await add_staff("gate_supervisor")
    await console_login(client, "customs")
    seen = text_of(await (await client.get("/console/lifts")).text())
    assert "requested" not in seen and "待审批" in seen
    await client.post(f"/console/lifts/{lift.id}/decide", data={
        "csrf": await csrf(client, "/console/lifts"), "decision": "approve",
        "note": "已电话核实"})
    await switch_to(client, "gate_supervisor")
    seen = text_of(await (await client.get("/console/lanes")).text())
    for code in ("people", "exit", "ruili", "manual_lift", "requested"):
        assert code not in seen, code
    assert "瑞丽" in seen and "旅客车辆通道" in seen and "出境" in seen
    ledger = await (await client.get("/console/ledger")).text()
    seen = text_of(ledger)
    for code in ("manual_lift", "requested", "approved", "command", "user:"):
        assert code not in seen, code
    # The reason column names the manual lift's reason, and the decision's note (R-G4, R-G6).
    assert seen.count("扫码器故障，人工核验") >= 2 and "已电话核实" in seen


async def test_admin_deactivates_and_reactivates_staff(client: TestClient) -> None:  # R-U7
    await add_staff("admin")
    await add_staff("reviewer")
    await console_login(client, "reviewer")
    reviewer_cookies = {c.key: c.value for c in client.session.cookie_jar}
    assert (await client.get("/console/review", allow_redirects=False)).status == 200
    await switch_to(client, "admin")
    target = await User.get(username="reviewer")
    token = await csrf(client, "/console/staff")
    assert (await client.post(f"/console/staff/{target.id}/deactivate",
                              data={"csrf": "forged"})).status == 403
    resp = await client.post(f"/console/staff/{target.id}/deactivate", data={"csrf": token})
    assert resp.status == 200 and "账号已停用" in await resp.text()
    assert not (await User.get(id=target.id)).is_active
    assert await AuditEvent.exists(action="staff_deactivate", subject_id=target.id)
    admin_cookies = {c.key: c.value for c in client.session.cookie_jar}
    # Its session ended at once, and it cannot log in again.
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies(reviewer_cookies)
    assert (await client.get("/console/review", allow_redirects=False)).status == 303
    assert "用户名或密码错误" in await switch_to(client, "reviewer")
    # An admin cannot deactivate themselves.
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies(admin_cookies)
    me = await User.get(username="admin")
    resp = await client.post(f"/console/staff/{me.id}/deactivate", data={"csrf": token})
    assert resp.status == 409 and "不能停用自己的账号" in await resp.text()
    resp = await client.post(f"/console/staff/{target.id}/reactivate", data={"csrf": token})
    assert resp.status == 200 and "账号已重新启用" in await resp.text()
    assert await AuditEvent.exists(action="staff_reactivate", subject_id=target.id)
    assert "审核队列" in await switch_to(client, "reviewer")


async def test_admin_resets_a_password(client: TestClient) -> None:  # R-U7
    await add_staff("admin")
    await add_staff("reviewer")
    await console_login(client, "admin")
    target = await User.get(username="reviewer")
    token = await csrf(client, "/console/staff")
    resp = await client.post(f"/console/staff/{target.id}/password",
                             data={"csrf": token, "password": "short"})
    assert resp.status == 422 and "密码至少" in await resp.text()
    resp = await client.post(f"/console/staff/{target.id}/password",
                             data={"csrf": token, "password": "a-new-long-passphrase"})
    assert resp.status == 200 and "密码已重置" in await resp.text()
    assert await AuditEvent.exists(action="password_reset", subject_id=target.id)
    assert "用户名或密码错误" in await switch_to(client, "reviewer")  # the old one: no
    client.session.cookie_jar.clear()
    assert "审核队列" in await console_login(client, "reviewer", "a-new-long-passphrase")
    assert PASSWORD != "a-new-long-passphrase"


async def test_staff_actions_are_admin_only(client: TestClient) -> None:
    await add_staff("reviewer")
    await console_login(client, "reviewer")
    me = await User.get(username="reviewer")
    token = await csrf(client, "/console/review")
    for action in ("deactivate", "reactivate", "password"):
        resp = await client.post(f"/console/staff/{me.id}/{action}",
                                 data={"csrf": token, "password": "a-new-long-passphrase"})
        assert resp.status == 403
    assert (await User.get(id=me.id)).is_active


async def test_admin_sees_a_units_documents_where_it_decides(client: TestClient) -> None:
    from units.unit_helpers import unit_body  # R-U2

    boss = await driver_user("boss")
    unit = await units.register(deps_of(client), boss, await unit_body(deps_of(client), boss))
    await add_staff("admin")
    html = await console_login(client, "admin")
    html = await (await client.get("/console/units")).text()
    doc_id = (await units.view(deps_of(client), unit, boss)).documents["business_licence"]
    assert f"/console/documents/{doc_id}/image" in html and "营业执照" in html
    assert f"/console/units/{unit.id}/decide" in html
    image = await client.get(f"/console/documents/{doc_id}/image")
    assert image.status == 200 and image.content_type == "image/jpeg"
    assert await AuditEvent.exists(subject_type="document", subject_id=doc_id)  # R-U7


async def test_fallback_registration_qr_leads_to_a_page(client: TestClient) -> None:  # R-U2
    from units.unit_helpers import active_unit, scene_of

    boss = await driver_user("boss")
    unit = await active_unit(deps_of(client), boss)
    scene = await scene_of(unit)
    page = client.server.app[SETTINGS].unit_join_page
    # The URL the QR encodes without BORDERPASS_PUBLIC_URL: http://host:port/{page}?scene=…
    resp = await client.get(f"/{page}?scene={scene}")
    html = await resp.text()
    assert resp.status == 200 and "瑞丽边贸有限公司" in html and scene in html
    resp = await client.get(f"/{page}?scene=nope<script>")
    html = await resp.text()
    assert resp.status == 404 and "<script>" not in html


async def test_lifts_part_keeps_each_rows_fields_addressable(client: TestClient) -> None:
    """The refresh carries a field being typed into the new list by (form action, name): the
    part must give each lift its own form and render the same state the same way."""
    gate = client.server.app[GATE]
    lane, _token = await lanes.create(gate.deps, {"code": "gate-a1", "port": "ruili",
                                                  "lane_type": "people", "direction": "exit"})
    one = await gate_lifts.request_lift(gate, lane, "guard-7", "扫码器故障", "云N33333")
    two = await gate_lifts.request_lift(gate, lane, "guard-8", "道闸无响应", "云N44444")
    await add_staff("customs")
    await console_login(client, "customs")
    page = await (await client.get("/console/lifts")).text()
    assert 'data-refresh="/console/lifts.part?status=requested"' in page
    first = await (await client.get("/console/lifts.part?status=requested")).text()
    second = await (await client.get("/console/lifts.part?status=requested")).text()
    assert first == second  # nothing changed, nothing differs
    for lift in (one, two):
        assert first.count(f'action="/console/lifts/{lift.id}/decide"') == 1
    assert first.count('name="note"') == 2
