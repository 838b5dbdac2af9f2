"""The customs export-licence pages over plain HTTP: the queue against the 3-working-day
target (R-E5), a licence with its vehicles, issue, refuse with every reason, the one
clearance (R-E3) that starts the cancellation clock (R-E7), and who may open them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login, csrf
from export_factories import approved_enterprise, exporter, licence_body, vins

from borderpass.models import AuditEvent, User
from borderpass.models.export import Licence, LicenceStatus, LicenceVehicle, VehicleState
from borderpass.services import clock
from borderpass.services.export import licences
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")
SUBMITTED_AT = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
LIST = "/console/export/licences"


async def _applied(client: TestClient, count: int = 2) -> tuple[Licence, list[str]]:
    """A licence application of ``count`` vehicles, submitted at SUBMITTED_AT; the reviewer
    and customs accounts exist (the enterprise filing is approved by that reviewer)."""
    deps: Any = client.server.app[DEPS]
    await add_staff("reviewer")
    await add_staff("customs")
    clock.freeze(SUBMITTED_AT)
    user = await exporter()
    enterprise = await approved_enterprise(deps, user)
    numbers = vins(count)
    licence = await licences.apply(deps, user, await licence_body(deps, user, enterprise,
                                                                  numbers))
    return licence, numbers


async def _customs() -> User:
    return await User.get(username="customs")


async def test_customs_issues_then_records_the_clearance(client: TestClient) -> None:  # R-E5
    licence, numbers = await _applied(client)
    clock.freeze(SUBMITTED_AT + timedelta(days=1))
    await console_login(client, "customs")
    html = await (await client.get(LIST)).text()
    assert "瑞丽二手车出口有限公司" in html and f"{LIST}/{licence.id}" in html
    assert "1 / 3 个工作日" in html and "未超时" in html and "目标 3 个工作日" in html
    detail = await (await client.get(f"{LIST}/{licence.id}")).text()
    assert all(vin in detail for vin in numbers)
    assert "丰田牌" in detail and "TV7250GLD" in detail and "MM · 缅甸" in detail
    doc = next(iter(licence.documents.values()))
    image = await client.get(f"{LIST}/{licence.id}/documents/{doc}")
    assert image.status == 200 and image.content_type == "image/jpeg"
    assert await AuditEvent.filter(subject_type="document", subject_id=doc).exists()
    assert (await client.get(f"{LIST}/{licence.id}/documents/99999")).status == 404

    token = await csrf(client, f"{LIST}/{licence.id}")
    resp = await client.post(f"{LIST}/{licence.id}/issue", data={"csrf": token})
    assert resp.status == 200 and "出口许可证已签发" in await resp.text()
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.ISSUED and licence.issue_working_days == 1
    listed = await resp.text()
    assert "没有待签发的出口许可证申请" in listed and str(licence.number) in listed

    resp = await client.post(f"{LIST}/{licence.id}/clearance", data=[
        ("csrf", token), ("vin", numbers[0]), ("vin", numbers[1]),
        ("declaration_number", "5301" + "0" * 14)])
    page = await resp.text()
    assert resp.status == 200 and "报关结果已记录" in page
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.CLEARED and licence.cleared_count == 2
    vehicle = await LicenceVehicle.get(vin=numbers[0])
    assert vehicle.state is VehicleState.CLEARED and vehicle.cancel_due_at is not None  # R-E7
    assert "2026-07-05" in page  # the cancellation deadline, 2 months on, in the table


async def test_short_clearance_and_a_bad_declaration_number(client: TestClient) -> None:  # R-E3
    licence, numbers = await _applied(client)
    await licences.issue(client.server.app[DEPS], await _customs(), licence.id)
    await console_login(client, "customs")
    token = await csrf(client, f"{LIST}/{licence.id}")
    resp = await client.post(f"{LIST}/{licence.id}/clearance", data={
        "csrf": token, "declaration_number": "12"})
    text = await resp.text()
    assert resp.status == 422 and "实际报关车辆" in text and "报关单号" in text  # all at once
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.ISSUED
    resp = await client.post(f"{LIST}/{licence.id}/clearance", data={
        "csrf": token, "vin": numbers[1]})
    assert resp.status == 200
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.SHORT and licence.return_by is not None
    assert "部分报关，须退回" in await resp.text()


async def test_refusal_keeps_every_reason(client: TestClient) -> None:  # R-E8
    licence, _numbers = await _applied(client)
    await console_login(client, "customs")
    token = await csrf(client, f"{LIST}/{licence.id}")
    resp = await client.post(f"{LIST}/{licence.id}/refuse", data={
        "csrf": token, "field_0": "vehicles[0].brand", "message_0": "品牌与登记证书不一致"})
    assert resp.status == 200 and "已不予签发" in await resp.text()
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.REFUSED
    assert licence.refusal_reasons == [{"field": "vehicles[0].brand",
                                        "message": "品牌与登记证书不一致"}]
    detail = await (await client.get(f"{LIST}/{licence.id}")).text()
    assert "车辆品牌：品牌与登记证书不一致" in detail and "签发许可证" not in detail


async def test_refusal_without_a_reason_changes_nothing(client: TestClient) -> None:
    licence, _numbers = await _applied(client)
    await console_login(client, "customs")
    token = await csrf(client, f"{LIST}/{licence.id}")
    resp = await client.post(f"{LIST}/{licence.id}/refuse", data={"csrf": token})
    assert resp.status == 422
    resp = await client.post(f"{LIST}/{licence.id}/refuse", data={
        "csrf": token, "field_0": "commodity_code", "message_0": "",
        "field_1": "", "message_1": "合同缺少中文译本"})
    text = await resp.text()
    assert resp.status == 422 and 'value="合同缺少中文译本"' in text  # the form comes back
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.SUBMITTED and licence.refusal_reasons == []


async def test_waiting_past_three_working_days_is_marked_late(client: TestClient) -> None:
    await _applied(client)  # R-E5
    clock.freeze(SUBMITTED_AT + timedelta(days=7))
    await console_login(client, "customs")
    html = await (await client.get(LIST)).text()
    assert '<span class="late">5 / 3 个工作日</span>' in html and "已超时" in html


@pytest.mark.parametrize("role", ["reviewer", "gate_supervisor"])
async def test_only_customs_may_open_the_export_pages(client: TestClient, role: str) -> None:
    licence, _numbers = await _applied(client)  # R-E5: issuance is customs' act
    if role != "reviewer":
        await add_staff(role)
    home = await console_login(client, role)
    assert LIST not in home  # the navigation hides it
    for path in (LIST, f"{LIST}/{licence.id}",
                 f"{LIST}/{licence.id}/documents/{next(iter(licence.documents.values()))}"):
        assert (await client.get(path)).status == 403, path
    token = await csrf(client, "/console/review" if role == "reviewer" else "/console/lanes")
    resp = await client.post(f"{LIST}/{licence.id}/issue", data={"csrf": token})
    assert resp.status == 403
    await licence.refresh_from_db()
    assert licence.status is LicenceStatus.SUBMITTED


async def test_customs_sees_the_page_in_english(client: TestClient) -> None:
    licence, _numbers = await _applied(client)
    home = await console_login(client, "customs")
    assert f'href="{LIST}"' in home
    html = await (await client.get(f"/console/lang/en?next={LIST}/{licence.id}")).text()
    assert 'lang="en"' in html and "Export licence" in html and "Issue the licence" in html
    assert "MM · Myanmar" in html
