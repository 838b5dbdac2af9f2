"""The reviewer's pages over plain HTTP: queue, detail, approve, return, access, CSRF, XSS."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login, csrf
from factories import driver_user, personal_body, submitted_filing

from borderpass.models import AuditEvent, Filing
from borderpass.models.enums import FilingStatus
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")


def deps_of(client: TestClient) -> Any:
    return client.server.app[DEPS]


async def test_login_lands_on_queue_with_the_filing(client: TestClient) -> None:  # R-F6
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    html = await console_login(client, "reviewer")
    assert "云N12345" in html and f"/console/review/filings/{filing.id}" in html
    assert "目标 30 分钟" in html  # R-F10: the wait against the target
    part = await client.get("/console/review/queue.part")
    assert part.status == 200 and "云N12345" in await part.text()


async def test_wrong_password_stays_on_login(client: TestClient) -> None:
    await add_staff("reviewer")
    html = await console_login(client, "reviewer", "wrong-password")
    assert "用户名或密码错误" in html
    assert (await client.get("/console/review", allow_redirects=False)).status == 303


async def test_detail_shows_documents_and_audits_each_image(client: TestClient) -> None:  # R-U7
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    await console_login(client, "reviewer")
    resp = await client.get(f"/console/review/filings/{filing.id}")
    html = await resp.text()
    assert resp.status == 200 and "机动车行驶证" in html and "/image" in html
    assert not await AuditEvent.exists()  # masked: nothing personal was read in clear
    doc_id = html.split("/console/documents/", 1)[1].split("/", 1)[0]
    image = await client.get(f"/console/documents/{doc_id}/image")
    assert image.status == 200 and image.content_type == "image/jpeg"
    assert await AuditEvent.filter(subject_type="document", subject_id=int(doc_id)).count() == 1


async def test_approve(client: TestClient) -> None:  # R-F3
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    await console_login(client, "reviewer")
    token = await csrf(client, f"/console/review/filings/{filing.id}")
    resp = await client.post(f"/console/review/filings/{filing.id}/approve",
                             data={"csrf": token})
    assert resp.status == 200 and "备案已通过" in await resp.text()
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.APPROVED


async def test_return_with_field_reasons(client: TestClient) -> None:  # R-F6
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    await console_login(client, "reviewer")
    path = f"/console/review/filings/{filing.id}"
    token = await csrf(client, path)
    resp = await client.post(f"{path}/return", data={
        "csrf": token, "field_0": "vehicle.vin", "code_0": "invalid", "message_0": "",
        "field_1": "documents.photo_side", "code_1": "other", "message_1": "照片太暗"})
    assert resp.status == 200 and "备案已退回" in await resp.text()
    filing = await Filing.get(id=filing.id)
    assert filing.status is FilingStatus.RETURNED
    assert filing.return_reasons == [
        {"field": "vehicle.vin", "code": "invalid", "message": ""},
        {"field": "documents.photo_side", "code": "other", "message": "照片太暗",
         "lang": "zh_CN"}]


async def test_return_without_reasons_keeps_the_filing(client: TestClient) -> None:
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    await console_login(client, "reviewer")
    path = f"/console/review/filings/{filing.id}"
    resp = await client.post(f"{path}/return", data={"csrf": await csrf(client, path),
                                                     "field_0": "", "code_0": "invalid"})
    assert resp.status == 422 and "退回时须至少写明一条原因" in await resp.text()
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.SUBMITTED


async def test_post_without_csrf_is_refused(client: TestClient) -> None:
    await add_staff("reviewer")
    filing = await submitted_filing(deps_of(client), await driver_user())
    await console_login(client, "reviewer")
    resp = await client.post(f"/console/review/filings/{filing.id}/approve",
                             data={"csrf": "forged"})
    assert resp.status == 403
    await filing.refresh_from_db()
    assert filing.status is FilingStatus.SUBMITTED


async def test_values_are_escaped(client: TestClient) -> None:  # XSS
    await add_staff("reviewer")
    body = personal_body(model="<script>alert(1)</script>")
    filing = await submitted_filing(deps_of(client), await driver_user(), body)
    await console_login(client, "reviewer")
    html = await (await client.get(f"/console/review/filings/{filing.id}")).text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


async def test_english_interface(client: TestClient) -> None:
    await add_staff("reviewer")
    await console_login(client, "reviewer")
    resp = await client.get("/console/lang/en?next=/console/review")
    html = await resp.text()
    assert 'lang="en"' in html and "Review queue" in html


@pytest.mark.parametrize("path", ["/console/lifts", "/console/blacklist", "/console/staff",
                                  "/console/ledger"])
async def test_reviewer_cannot_open_other_roles_pages(client: TestClient, path: str) -> None:
    await add_staff("reviewer")
    await console_login(client, "reviewer")
    resp = await client.get(path)
    assert resp.status in (403, 404)


async def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    resp = await client.get("/console/review", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/console/login"
    resp = await client.get("/console/", allow_redirects=False)
    assert resp.headers["Location"] == "/console/login"
