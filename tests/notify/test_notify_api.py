"""The notification routes: subscribe grants from the mini-program, the admin's failed desk."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from borderpass.models.notify import Notification, NotificationStatus, SubscribeGrant
from borderpass.services.identity import users
from borderpass.services.notify import kinds, outbox


async def _driver(client: TestClient, fake: Any, name: str = "alice") -> tuple[dict, int]:
    code = fake.issue_login_code(f"o-{name}")
    resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
    body = await resp.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["user"]["id"]


async def _staff(client: TestClient, role: str) -> dict:
    await users.add_staff(role, "correct-horse-1", [role])
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": role, "password": "correct-horse-1"})
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def test_mini_program_records_subscribe_grants(notify_client, fake_wechat) -> None:
    headers, user_id = await _driver(notify_client, fake_wechat)
    resp = await notify_client.get("/api/v1/notify/templates", headers=headers)
    templates = (await resp.json())["subscribe"]
    assert templates["deadline"] == "sub-deadline"
    body = {"results": {"sub-deadline": "accept", "sub-filing": "reject"}}
    for _ in range(2):
        resp = await notify_client.post("/api/v1/notify/subscriptions", json=body,
                                        headers=headers)
        assert resp.status == 200
    assert (await resp.json())["grants"] == {"sub-deadline": 2, "sub-filing": 0}
    assert await SubscribeGrant.filter(user_id=user_id, remaining=2).count() == 1


async def test_unknown_template_is_refused_by_field_and_changes_nothing(notify_client,
                                                                       fake_wechat) -> None:
    headers, _ = await _driver(notify_client, fake_wechat)
    await notify_client.patch("/api/v1/me", json={"locale": "en"}, headers=headers)
    body = {"results": {"sub-deadline": "accept", "someone-else": "accept"}}
    resp = await notify_client.post("/api/v1/notify/subscriptions", json=body,
                                    headers=headers)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["field"] == "results.someone-else"
    assert error["message"] == "Not a subscribe-message template of this service"
    assert await SubscribeGrant.all().count() == 0


async def test_admin_lists_failed_notifications_and_retries_one(notify_client, fake_wechat
                                                                ) -> None:
    _, user_id = await _driver(notify_client, fake_wechat)
    admin = await _staff(notify_client, "admin")
    await outbox.enqueue([outbox.Intent("k1", user_id, kinds.FILING_APPROVED, "zh_CN",
                                        {"filing_id": 1, "plate": "云N1",
                                         "expires_at": "2027-01-01T00:00:00+00:00"})])
    await Notification.filter(dedupe_key="k1").update(status=NotificationStatus.FAILED,
                                                      last_error="gave up", attempts=8)
    resp = await notify_client.get("/api/v1/admin/notifications", headers=admin)
    [item] = (await resp.json())["items"]
    assert item["key"] == "k1" and item["status"] == "failed" and item["last_error"]
    resp = await notify_client.get(f"/api/v1/admin/notifications/{item['id']}", headers=admin)
    assert (await resp.json())["delivery_attempts"] == []
    path = f"/api/v1/admin/notifications/{item['id']}/retry"
    resp = await notify_client.post(path, headers=admin)
    assert resp.status == 200 and (await resp.json())["status"] == "pending"
    assert (await Notification.get(dedupe_key="k1")).attempts == 0
    resp = await notify_client.post(path, headers={**admin, "Accept-Language": "zh-CN"})
    assert resp.status == 409
    assert "当前状态：pending" in (await resp.json())["error"]["message"]


async def test_admin_routes_are_for_admins_only(notify_client, fake_wechat) -> None:
    headers, _ = await _driver(notify_client, fake_wechat)
    resp = await notify_client.get("/api/v1/admin/notifications", headers=headers)
    assert resp.status == 403
    admin = await _staff(notify_client, "admin")
    resp = await notify_client.get("/api/v1/admin/notifications?status=lost", headers=admin)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "status"
    resp = await notify_client.post("/api/v1/admin/notifications/999/retry", headers=admin)
    assert resp.status == 404
