"""Staff logins over HTTP: throttling, lockout, uniform answers, password policy, change and
reset, and sessions that outlive Redis (R-U7, MLPS level 3)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_helpers import Caller

from borderpass.core.config import Settings
from borderpass.models import AuditEvent, LoginLock, UserSession
from borderpass.services import clock
from borderpass.services.identity import passwords, sessions, users
from borderpass.web.appkeys import REDIS

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
GOOD = "correct-horse-1"
LOCK_AFTER = 6


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small N so the lockout is reached in a few attempts; a high per-address allowance so
    only the per-name rules act unless a test asks for the address one."""
    return settings.with_overrides(login_lock_after=LOCK_AFTER, login_address_free_failures=50)


async def _login(client: Any, username: str, password: str, lang: str = "en") -> Any:
    return await client.post("/api/v1/auth/staff-login",
                             json={"username": username, "password": password},
                             headers={"Accept-Language": lang})


def _later(minutes: float) -> None:
    """Move the clock past any running delay (delays are measured on the service clock)."""
    clock.freeze(clock.now() + timedelta(minutes=minutes))


async def test_lockout_after_n_survives_redis_and_only_an_admin_unlocks(
        client, staff_login) -> None:  # R-U7, MLPS: lockout after N, admin unlock, audited
    clock.freeze(T0)
    admin = await staff_login("admin")
    await users.add_staff("wang", GOOD, ["reviewer"])
    wang = Caller(client, (await (await _login(client, "wang", GOOD)).json())["token"], 0)
    for attempt in range(1, LOCK_AFTER):
        resp = await _login(client, "wang", "wrong-password-x")
        assert resp.status == 401, attempt
        _later(60)
    resp = await _login(client, "wang", "wrong-password-x")
    body = await resp.json()
    assert resp.status == 403 and body["error"]["code"] == "login_locked"
    assert "administrator" in body["error"]["message"]
    assert (await wang.call("GET", "/api/v1/me"))[0] == 401  # the lock ended his sessions
    await client.app[REDIS].flushdb()  # Redis restarted without data: the lock is in the DB
    _later(24 * 60)
    resp = await _login(client, "wang", GOOD)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "login_locked"
    [event] = await AuditEvent.filter(action="login_lock")
    assert event.detail["username"] == "wang" and event.detail["failures"] == LOCK_AFTER

    reviewer = await staff_login("reviewer")
    status, body = await reviewer.call("POST", "/api/v1/admin/staff/unlock",
                                       json={"username": "wang"})
    assert status == 403 and body["error"]["code"] == "role_required"
    status, body = await admin.call("POST", "/api/v1/admin/staff/unlock",
                                    json={"username": "wang"})
    assert status == 200 and body == {"username": "wang", "locked": False}
    [event] = await AuditEvent.filter(action="login_unlock")
    assert event.actor_id == admin.user_id  # type: ignore[attr-defined]
    status, body = await admin.call("POST", "/api/v1/admin/staff/unlock",
                                    json={"username": "wang"})
    assert status == 409 and body["error"]["code"] == "login_not_locked"
    assert (await _login(client, "wang", GOOD)).status == 200


async def test_delays_answer_429_with_retry_after_in_the_callers_language(client) -> None:
    clock.freeze(T0)  # MLPS: exponential delay after the free failures
    await users.add_staff("li", GOOD, ["customs"])
    for _ in range(3):  # the free failures
        assert (await _login(client, "li", "wrong-password-x")).status == 401
    waits = []
    for lang, word in (("en", "seconds"), ("zh-CN", "秒"), ("my", "စက္ကန့်")):
        resp = await _login(client, "li", GOOD, lang)  # even the right password waits
        body = await resp.json()
        assert resp.status == 429 and body["error"]["code"] == "login_throttled"
        assert word in body["error"]["message"]
        waits.append(int(resp.headers["Retry-After"]))
    assert waits == [1, 1, 1]
    _later(1 / 60)
    assert (await _login(client, "li", "wrong-password-x")).status == 401
    resp = await _login(client, "li", GOOD)
    assert resp.status == 429 and resp.headers["Retry-After"] == "2"  # doubled
    _later(2 / 60)
    assert (await _login(client, "li", GOOD)).status == 200
    _later(1)  # a success clears the name's count: three free failures again
    for _ in range(3):
        assert (await _login(client, "li", "wrong-password-x")).status == 401


async def test_one_address_is_slowed_down_across_names(settings, redis,
                                                      aiohttp_client) -> None:  # MLPS
    from borderpass.app.factory import create_app

    clock.freeze(T0)
    client = await aiohttp_client(create_app(settings.with_overrides(
        login_address_free_failures=3)))
    for name in ("name-one", "name-two", "name-three"):
        assert (await _login(client, name, "wrong-password-x")).status == 401
    resp = await _login(client, "name-four", "wrong-password-x")
    assert resp.status == 429 and resp.headers["Retry-After"] == "1"
    _later(1 / 60)
    assert (await _login(client, "name-five", "wrong-password-x")).status == 401
    assert (await _login(client, "name-six", "wrong-password-x")).status == 429


async def test_unknown_name_and_wrong_password_are_indistinguishable(client) -> None:  # R-U7
    await users.add_staff("zhao", GOOD, ["reviewer"])
    await passwords.dummy_hash()
    answers = []
    for name in ("zhao", "nobody-here"):
        before = passwords.jobs_done()
        resp = await _login(client, name, "wrong-password-x")
        answers.append((resp.status, await resp.json()))
        assert passwords.jobs_done() - before == 1  # one argon2 verification either way
    assert answers[0] == answers[1] and answers[0][0] == 401
    assert answers[0][1]["error"]["code"] == "bad_credentials"
    clock.freeze(T0)
    for _ in range(LOCK_AFTER):  # an unknown name locks alike: the lock reveals nothing
        resp = await _login(client, "nobody-here", "wrong-password-x")
        _later(60)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "login_locked"
    await users.add_staff("nobody-here", GOOD, ["reviewer"])  # a new account starts unlocked
    assert (await _login(client, "nobody-here", GOOD)).status == 200


async def test_reset_by_admin_revokes_every_session(client, staff_login) -> None:  # MLPS
    admin = await staff_login("admin")
    await users.add_staff("chen", GOOD, ["customs"])
    tokens = [(await (await _login(client, "chen", GOOD)).json())["token"] for _ in range(2)]
    for new, field, code in (("short-1", "new_password", "password_short"),
                             ("chen-is-my-name-1", "new_password", "password_username"),
                             ("Password12345", "new_password", "password_common")):
        status, body = await admin.call("POST", "/api/v1/admin/staff/reset-password",
                                        json={"username": "chen", "new_password": new})
        assert status == 422 and (body["error"]["field"], body["error"]["code"]) == (field, code)
        assert body["error"]["message"].startswith("新密码：")  # the admin's own language
    status, _ = await admin.call("POST", "/api/v1/admin/staff/reset-password",
                                 json={"username": "chen", "new_password": "a-new-secret-9"})
    assert status == 200
    for token in tokens:
        resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 401
    await client.app[REDIS].flushdb()  # revoked in PostgreSQL too, not only in the cache
    resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[0]}"})
    assert resp.status == 401
    assert (await _login(client, "chen", GOOD)).status == 401
    assert (await _login(client, "chen", "a-new-secret-9")).status == 200
    assert await AuditEvent.filter(action="password_reset", actor_id=admin.user_id).count() == 1
    status, body = await admin.call("POST", "/api/v1/admin/staff/reset-password",
                                    json={"username": "ghost", "new_password": "a-new-secret-9"})
    assert status == 404 and body["error"]["field"] == "username"


async def test_change_own_password_needs_the_old_one(client, staff_login) -> None:  # MLPS
    me = await staff_login("reviewer")
    status, body = await me.call("POST", "/api/v1/auth/password",
                                 json={"old_password": "not-it-at-all", "new_password":
                                       "another-secret-7"})
    assert status == 401 and body["error"]["field"] == "old_password"
    status, body = await me.call("POST", "/api/v1/auth/password",
                                 json={"old_password": GOOD, "new_password": "1234567890123"})
    assert status == 422 and body["error"]["code"] == "password_common"
    assert body["error"]["message"].startswith("新密码")
    status, body = await me.call("POST", "/api/v1/auth/password",
                                 json={"old_password": GOOD, "new_password": "another-secret-7"})
    assert status == 200 and body["token"] != me.token
    assert (await me.call("GET", "/api/v1/me"))[0] == 401  # the old session is gone
    fresh = Caller(client, body["token"], me.user_id)
    assert (await fresh.call("GET", "/api/v1/me"))[0] == 200
    assert await AuditEvent.filter(action="password_change").count() == 1


async def test_sessions_outlive_a_redis_restart_without_data(client, login,
                                                             staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")  # DESIGN principle 5
    digest = hashlib.sha256(alice.token.encode()).hexdigest()
    row = await UserSession.get(token_hash=digest)  # only the hash is stored (R-U7)
    assert row.user_id == alice.user_id  # type: ignore[attr-defined]
    assert not await UserSession.filter(token_hash=alice.token).exists()
    await client.app[REDIS].flushdb()  # stands in for a Redis restart without persistence
    for caller in (alice, reviewer):
        status, me = await caller.call("GET", "/api/v1/me")
        assert status == 200 and me["id"] == caller.user_id
    assert await client.app[REDIS].get(sessions.cache_key(alice.token)) is not None  # refilled
    status, _ = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                                 headers={"Idempotency-Key": "after-flush"})
    assert status == 201  # the idempotent door resolves the session the same way


async def test_logout_removes_the_session_from_both(client, login) -> None:
    alice = await login()
    assert (await alice.call("GET", "/api/v1/me"))[0] == 200
    assert (await alice.call("POST", "/api/v1/auth/logout"))[0] == 200
    assert not await UserSession.exists(token_hash=hashlib.sha256(alice.token.encode())
                                        .hexdigest())
    cached = await client.app[REDIS].get(sessions.cache_key(alice.token))
    assert cached in (None, sessions.REVOKED)  # no user id left, at most a tombstone
    assert (await alice.call("GET", "/api/v1/me"))[0] == 401
    await client.app[REDIS].flushdb()
    assert (await alice.call("GET", "/api/v1/me"))[0] == 401


async def test_lock_rows_keep_names_only(client) -> None:  # R-U7: nothing but the name
    clock.freeze(T0)
    for _ in range(LOCK_AFTER):
        await _login(client, "someone", "wrong-password-x")
        _later(60)
    [lock] = await LoginLock.all()
    assert (lock.username, lock.failures) == ("someone", LOCK_AFTER)


async def test_a_parallel_burst_at_one_name_gets_only_the_free_attempts(client) -> None:
    import asyncio  # MLPS: attempts are counted before the (slow) check, not after

    clock.freeze(T0)
    await users.add_staff("sun", GOOD, ["reviewer"])
    await passwords.dummy_hash()
    before = passwords.jobs_done()
    answers = await asyncio.gather(*(_login(client, "sun", f"guess-number-{i}")
                                     for i in range(10)))
    statuses = sorted(a.status for a in answers)
    assert statuses == [401] * 3 + [429] * 7
    assert passwords.jobs_done() - before == 3  # the refused ones cost no hash
