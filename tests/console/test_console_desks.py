"""Customs, gate supervisor and admin pages over plain HTTP: access rules and forms."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login, csrf
from factories import approved_filing, driver_user

from borderpass.models import BlacklistEntry, User
from borderpass.models.gate import LedgerEntry, LiftStatus, ManualLift
from borderpass.models.oversight import AuditEvent
from borderpass.services.gate import gate_lifts, lanes
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")


def gate_of(client: TestClient) -> Any:
    return client.server.app[GATE]


async def a_lane(client: TestClient, code: str = "ruili-out-1") -> Any:
    lane, _token = await lanes.create(gate_of(client).deps, {
        "code": code, "port": "ruili", "lane_type": "people", "direction": "exit"})
    return lane


async def test_customs_approves_a_manual_lift(client: TestClient) -> None:  # R-G4
    lane = await a_lane(client)
    lift = await gate_lifts.request_lift(gate_of(client), lane, "guard-1", "扫码器故障",
                                         "云N12345")
    await add_staff("customs")
    html = await console_login(client, "customs")
    assert "扫码器故障" in html and "批准抬杆" in html
    resp = await client.post(f"/console/lifts/{lift.id}/decide",
                             data={"csrf": await csrf(client, "/console/lifts"),
                                   "decision": "approve", "note": ""})
    assert resp.status == 200 and "已批准人工抬杆" in await resp.text()
    await lift.refresh_from_db()
    assert lift.status is LiftStatus.APPROVED


async def test_refusal_needs_a_note(client: TestClient) -> None:  # R-G4
    lane = await a_lane(client)
    lift = await gate_lifts.request_lift(gate_of(client), lane, "guard-1", "无码车辆")
    await add_staff("customs")
    await console_login(client, "customs")
    resp = await client.post(f"/console/lifts/{lift.id}/decide",
                             data={"csrf": await csrf(client, "/console/lifts"),
                                   "decision": "refuse", "note": ""})
    assert resp.status == 422
    await lift.refresh_from_db()
    assert lift.status is LiftStatus.REQUESTED


async def test_supervisor_sees_lifts_but_cannot_decide(client: TestClient) -> None:  # R-G4
    lane = await a_lane(client)
    lift = await gate_lifts.request_lift(gate_of(client), lane, "guard-1", "扫码器故障")
    await add_staff("gate_supervisor")
    await console_login(client, "gate_supervisor")
    html = await (await client.get("/console/lifts")).text()
    assert "扫码器故障" in html and "批准抬杆" not in html
    resp = await client.post(f"/console/lifts/{lift.id}/decide",
                             data={"csrf": await csrf(client, "/console/lifts"),
                                   "decision": "approve"})
    assert resp.status == 403
    resp = await client.post("/console/lifts", data={
        "csrf": await csrf(client, "/console/lifts"), "lane": lane.code, "reason": "抬杆测试"})
    assert resp.status == 200
    assert await ManualLift.filter(reason="抬杆测试").exists()


async def test_customs_lifts_a_blacklist_entry(client: TestClient) -> None:  # R-F9
    filing = await approved_filing(gate_of(client).deps, await driver_user())
    entry = await BlacklistEntry.create(subject_kind="person", subject_key="k1",
                                        subject_label="岩*", reason="overstay", filing=filing)
    await add_staff("customs")
    await console_login(client, "customs")
    html = await (await client.get("/console/blacklist")).text()
    assert "岩*" in html
    resp = await client.post(f"/console/blacklist/{entry.id}/lift", data={
        "csrf": await csrf(client, "/console/blacklist"), "reason": "已返回并缴纳罚款"})
    assert resp.status == 200 and "黑名单记录已解除" in await resp.text()
    await entry.refresh_from_db()
    assert entry.lifted_at is not None


async def test_customs_refers_suspected_smuggling(client: TestClient) -> None:  # R-F9
    filing = await approved_filing(gate_of(client).deps, await driver_user())
    entry = await BlacklistEntry.create(subject_kind="person", subject_key="k1",
                                        subject_label="岩*", reason="overstay", filing=filing)
    await add_staff("customs")
    await console_login(client, "customs")
    resp = await client.post(f"/console/blacklist/{entry.id}/smuggling", data={
        "csrf": await csrf(client, "/console/blacklist"), "reason": "车厢夹层藏货"})
    html = await resp.text()
    assert resp.status == 200 and "已标记为涉嫌走私并移交" in html and "已移交" in html
    await entry.refresh_from_db()
    assert entry.suspected_smuggling and entry.lifted_at is None  # a flag, not a lift
    audit = await AuditEvent.get(subject_type="blacklist", subject_id=entry.id)
    assert audit.detail["reason"] == "车厢夹层藏货" and audit.detail["referred"] is True


async def test_supervisor_emergency_release_and_ledger(client: TestClient) -> None:  # R-G5
    lane = await a_lane(client)
    await add_staff("gate_supervisor")
    html = await console_login(client, "gate_supervisor")
    assert lane.code in html
    resp = await client.post("/console/emergency", data={
        "csrf": await csrf(client, "/console/lanes"), "lane": lane.code, "plate": "云N11111",
        "kind": "ambulance", "note": ""})
    assert resp.status == 200 and "已紧急放行" in await resp.text()
    assert await LedgerEntry.filter(kind="emergency", lane_code=lane.code).exists()
    page = await (await client.get(f"/console/ledger?lane={lane.code}")).text()
    assert "emergency" in page and "云N11111" in page
    export = await client.get(f"/console/ledger.csv?lane={lane.code}")
    assert export.status == 200 and "emergency" in await export.text()


async def test_ledger_filter_rejects_bad_dates(client: TestClient) -> None:
    await add_staff("gate_supervisor")
    await console_login(client, "gate_supervisor")
    assert (await client.get("/console/ledger?from=yesterday")).status == 422


async def test_admin_creates_staff(client: TestClient) -> None:
    await add_staff("admin")
    await console_login(client, "admin")
    token = await csrf(client, "/console/staff")
    resp = await client.post("/console/staff", data={
        "csrf": token, "username": "li", "display_name": "李", "password": "long-enough-1",
        "roles": "reviewer"})
    assert resp.status == 200 and "工作人员账号已创建" in await resp.text()
    assert (await User.get(username="li")).roles == ["reviewer"]
    resp = await client.post("/console/staff", data={
        "csrf": token, "username": "li", "password": "long-enough-1", "roles": "reviewer"})
    assert resp.status == 409 and "用户名已被使用" in await resp.text()


async def test_admin_pages_open(client: TestClient) -> None:
    await add_staff("admin")
    await console_login(client, "admin")
    for path in ("/console/units", "/console/notifications", "/console/review",
                 "/console/lanes", "/console/ledger", "/console/blacklist", "/console/lifts"):
        assert (await client.get(path)).status == 200, path


@pytest.mark.parametrize(("role", "path"), [
    ("customs", "/console/review"), ("customs", "/console/staff"),
    ("gate_supervisor", "/console/blacklist"), ("gate_supervisor", "/console/review"),
    ("customs", "/console/lanes"), ("reviewer", "/console/units"),
])
async def test_roles_stay_on_their_pages(client: TestClient, role: str, path: str) -> None:
    await add_staff(role)
    await console_login(client, role)
    assert (await client.get(path)).status == 403


async def test_drivers_cannot_log_in(client: TestClient) -> None:
    from borderpass.services.identity import users

    await users.add_staff("unitadmin", "correct-horse-1", ["unit_admin"])
    html = await console_login(client, "unitadmin")
    assert "无权执行此操作" in html
