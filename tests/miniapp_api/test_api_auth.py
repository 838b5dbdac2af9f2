"""Login, sessions and profile over HTTP."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("db")


async def test_wx_login_gives_token_and_never_session_key(client, fake_wechat) -> None:
    code = fake_wechat.issue_login_code("o-alice", "u-alice")
    resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
    body = await resp.json()
    assert resp.status == 200 and body["token"]
    assert "session_key" not in repr(body) and "openid" not in repr(body)
    assert body["user"]["roles"] == ["driver"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert (await me.json())["id"] == body["user"]["id"]
    again = await client.post("/api/v1/auth/wx-login", json={"code": code})
    assert again.status == 401  # a code is usable once
    assert (await again.json())["error"]["field"] == "code"


async def test_wx_login_bad_input(client) -> None:
    for payload, field in (({}, "code"), ({"code": 5}, "code"), ({"code": "x", "extra": 1},
                                                                  "extra")):
        resp = await client.post("/api/v1/auth/wx-login", json=payload)
        assert resp.status == 422
        assert (await resp.json())["error"]["field"] == field
    resp = await client.post("/api/v1/auth/wx-login", data=b"{not json",
                             headers={"Content-Type": "application/json"})
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "invalid_json"
    resp = await client.post("/api/v1/auth/wx-login", json={"code": "never-issued"})
    assert resp.status == 401


async def test_wechat_down_answers_503(client, fake_wechat) -> None:
    fake_wechat.fail_next("/sns/jscode2session", status=502)
    resp = await client.post("/api/v1/auth/wx-login", json={"code": "anything"})
    assert resp.status == 503
    assert (await resp.json())["error"]["code"] == "wechat_unavailable"


async def test_staff_login_and_bad_password(client, staff_login) -> None:
    reviewer = await staff_login("reviewer")
    status, me = await reviewer.call("GET", "/api/v1/me")
    assert status == 200 and me["roles"] == ["reviewer"]
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": "reviewer", "password": "wrong-password"})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "bad_credentials"


async def test_logout_ends_session(login) -> None:
    alice = await login()
    assert (await alice.call("POST", "/api/v1/auth/logout"))[0] == 200
    status, body = await alice.call("GET", "/api/v1/me")
    assert status == 401 and body["error"]["code"] == "session_invalid"


async def test_no_or_bad_token(client) -> None:
    assert (await client.get("/api/v1/me")).status == 401
    resp = await client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert resp.status == 401


async def test_update_profile(login) -> None:
    alice = await login()
    status, me = await alice.call("PATCH", "/api/v1/me",
                                  json={"locale": "my", "phone": "+95 9 421 234 567"})
    assert status == 200 and me["locale"] == "my" and "*" in me["phone"]
    for payload, field in (({"locale": "fr"}, "locale"), ({"phone": "12"}, "phone"),
                           ({"roles": ["admin"]}, "roles"), ({"display_name": 3},
                                                             "display_name")):
        status, body = await alice.call("PATCH", "/api/v1/me", json=payload)
        assert status == 422 and body["error"]["field"] == field
    status, me = await alice.call("GET", "/api/v1/me")
    assert me["roles"] == ["driver"] and me["locale"] == "my"


async def test_error_messages_follow_locale(client, login) -> None:
    resp = await client.post("/api/v1/auth/wx-login", json={},
                             headers={"Accept-Language": "zh-CN"})
    zh = (await resp.json())["error"]["message"]
    resp = await client.post("/api/v1/auth/wx-login", json={},
                             headers={"Accept-Language": "en-US,en;q=0.9"})
    en = (await resp.json())["error"]["message"]
    assert zh != en and "微信" in zh
