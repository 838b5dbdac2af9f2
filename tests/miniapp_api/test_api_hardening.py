"""Hostile ids and HTTP hygiene (issue 16 item 8): one id parser for path and body, ids past
the column's range answer 404/422 (never asyncpg's int4 overflow as a 500), Unicode digits
name nothing, 405 carries ``Allow``, every answer ``nosniff``, and the console cookie is
``Secure`` when a trusted proxy says the client spoke TLS."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from borderpass.core.config import Settings
from borderpass.core.errors import FieldError
from borderpass.core.ids import MAX_ID, body_id, id_from_text
from borderpass.services.identity import users
from borderpass.web.appkeys import SETTINGS
from borderpass.web.hardening import came_over_tls, client_address

pytestmark = pytest.mark.usefixtures("db")
HUGE = (2**31, 2**31 + 7, MAX_ID, 2**64, 10**30)
STAFF = ("reviewer", "customs", "gate_supervisor", "admin")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_the_parser() -> None:
    assert id_from_text("42") == 42
    assert id_from_text(str(2**31 - 1)) == 2**31 - 1
    for raw in ("", "0", "-1", "+1", " 1", "1.0", "1e3", "٣", "３", "²", str(2**31),
                str(MAX_ID + 1), "9" * 40):
        assert id_from_text(raw) is None, raw
    assert id_from_text(str(MAX_ID), MAX_ID) == MAX_ID
    assert body_id(7, "x") == 7
    for value in (True, "7", 7.0, None, 0, -3, 2**31, 2**70):
        with pytest.raises(FieldError) as caught:
            body_id(value, "x", "thing_not_found")
        assert caught.value.field == "x"
        assert caught.value.code == ("type_int" if type(value) is not int else "thing_not_found")


def _id_routes(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter", "")
        if path.startswith("/api/v1") and "{" in path and route.method != "HEAD":
            found.append((route.method, path))
    return found


async def test_huge_path_ids_are_404_on_every_route(client, login, staff_login) -> None:
    callers = [await login("alice")] + [await staff_login(r) for r in STAFF]
    routes = _id_routes(client.app)
    assert len(routes) > 30
    for method, path in routes:
        for value in (2**31, MAX_ID, 10**30):
            url = re.sub(r"{(\w+)}", str(value), path)
            seen = set()
            for caller in callers:
                status, body = await caller.call(method, url, json={})
                assert status < 500, (method, url, body)
                seen.add(status)
            # 404, or 422 where the body is checked first (required fields): nothing done
            assert seen & {404, 422} or "scene" in path or "kind" in path, (method, url, seen)


async def test_unicode_digits_name_no_document(login) -> None:
    alice = await login()
    _, doc = await alice.upload("id_card_front")
    assert (await alice.call("GET", f"/api/v1/documents/{doc['id']}"))[0] == 200
    for digits in (str(doc["id"]).translate(_ARABIC_INDIC), "３"):
        for suffix in ("", "/file"):
            status, _ = await alice.call("GET", f"/api/v1/documents/{digits}{suffix}")
            assert status == 404
    raw = "".join(f"%{b:02X}" for b in str(doc["id"]).translate(_ARABIC_INDIC).encode())
    resp = await alice.client.get(f"/api/v1/documents/{raw}", headers=alice.headers)
    assert resp.status == 404


@pytest.mark.parametrize("value", [2**31, MAX_ID, 2**64, 0, -1])
async def test_huge_body_ids_are_field_errors(login, value) -> None:
    alice = await login()
    cases = [
        ("POST", "/api/v1/declarations", {"filing_id": value, "driver_id": 1,
                                          "direction": "exit", "port": "ruili"}, "filing_id"),
        ("POST", "/api/v1/official-letters", {"unit_name": "县政府", "document_id": value},
         "document_id"),
        ("POST", "/api/v1/filings", {"category": "official", "official_letter_id": value},
         "official_letter_id"),
    ]
    for method, path, body, field in cases:
        status, err = await alice.call(method, path, json=body)
        assert status == 422 and err["error"]["field"] == field, (path, err)
    status, err = await alice.call("POST", "/api/v1/filings", json={
        "category": "personal", "documents": {"vehicle_licence": value}})
    assert status == 422 and err["error"]["field"].startswith("documents"), err


async def test_unknown_export_enterprise_is_404(login) -> None:
    alice = await login()
    status, err = await alice.call("GET", "/api/v1/export/enterprises/999")
    assert status == 404 and err["error"]["code"] == "export_enterprise_not_found"


async def test_405_carries_allow(client, login) -> None:
    alice = await login()
    resp = await client.delete("/api/v1/filings", headers=alice.headers)
    assert resp.status == 405
    assert set(resp.headers["Allow"].split(",")) >= {"GET", "POST"}
    assert (await resp.json())["error"]["code"]
    resp = await client.put("/console/login")
    assert resp.status == 405 and "POST" in resp.headers["Allow"]
    resp = await client.delete("/wechat/callback")
    assert resp.status == 405 and "GET" in resp.headers["Allow"]


async def test_every_answer_is_nosniff(client, login) -> None:
    alice = await login()
    _, doc = await alice.upload("id_card_front")
    for path in (f"/api/v1/documents/{doc['id']}/file", f"/api/v1/documents/{doc['id']}",
                 "/api/v1/documents/0", "/api/v1/openapi.json", "/console/login",
                 "/wechat/callback", "/nowhere"):
        resp = await client.get(path, headers=alice.headers)
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", (path, resp.status)


async def _console_cookie(client, headers: dict[str, str]) -> str:
    await users.add_staff("reviewer", "correct-horse-1", ["reviewer"])
    page = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert csrf
    resp = await client.post("/console/login", headers=headers, allow_redirects=False, data={
        "csrf": csrf.group(1), "username": "reviewer",
        "password": "correct-horse-1"})
    assert resp.status == 303, await resp.text()
    return ",".join(resp.headers.getall("Set-Cookie"))


@pytest.fixture
def settings(settings: Settings, request) -> Settings:
    proxies = getattr(request, "param", ())
    return settings.with_overrides(trusted_proxies=proxies)


@pytest.mark.parametrize("settings", [("127.0.0.0/8",)], indirect=True)
async def test_console_cookie_secure_behind_trusted_tls_proxy(client) -> None:
    cookie = await _console_cookie(client, {"X-Forwarded-Proto": "https"})
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("settings", [(), ("10.0.0.0/8",)], indirect=True)
async def test_forwarded_proto_from_anyone_else_is_ignored(client) -> None:
    cookie = await _console_cookie(client, {"X-Forwarded-Proto": "https"})
    assert "Secure" not in cookie


def _request(peer: str, proxies: tuple[str, ...], **headers: str) -> web.Request:
    app = web.Application()
    app[SETTINGS] = Settings(trusted_proxies=proxies)
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 5555) if name == "peername" else default)
    return make_mocked_request("GET", "/", headers=headers, app=app, transport=transport)


def test_client_address_believes_only_trusted_proxies() -> None:
    trusted = ("10.0.0.0/8", "fd00::/8")
    xff = {"X-Forwarded-For": "203.0.113.9, 10.1.1.1"}
    assert client_address(_request("10.2.2.2", trusted, **xff)) == "203.0.113.9"
    assert client_address(_request("198.51.100.7", trusted, **xff)) == "198.51.100.7"
    assert client_address(_request("10.2.2.2", (), **xff)) == "10.2.2.2"
    assert client_address(_request("10.2.2.2", trusted,
                                   **{"X-Forwarded-For": "junk, 10.1.1.1"})) == "10.2.2.2"
    assert client_address(_request("10.2.2.2", trusted)) == "10.2.2.2"
    assert came_over_tls(_request("10.2.2.2", trusted, **{"X-Forwarded-Proto": "https"}))
    assert not came_over_tls(_request("192.0.2.1", trusted, **{"X-Forwarded-Proto": "https"}))


def test_bad_trusted_proxies_stop_start_up(settings) -> None:
    from borderpass.app.factory import create_app

    with pytest.raises(ValueError):
        create_app(settings.with_overrides(trusted_proxies=("not-a-cidr",)))


async def test_garbled_multipart_is_a_field_error(login) -> None:
    """Found by the fuzz: a multipart body aiohttp cannot parse was a 500."""
    alice = await login()
    boundary = "b0undary"
    for body in (f"--{boundary}\r\n410--{boundary}--\r\n".encode(), b"--nope\r\nx"):
        status, err = await alice.call(
            "POST", "/api/v1/documents", data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert status == 422 and err["error"]["field"] == "file", err
    from borderpass.models import Document

    assert await Document.all().count() == 0


async def test_text_no_column_can_store_is_a_field_error(login, client) -> None:
    """Found by the fuzz on PostgreSQL: a NUL in a JSON string was asyncpg's 500."""
    alice = await login()
    for raw, field in (('{"scene": "u\\u0000x", "filing_id": 1}', "scene"),
                       ('{"display_name": "a\\ud800"}', "display_name"),
                       ('{"drivers": [{"name": "x\\u0000"}]}', "drivers[0].name")):
        path = "/api/v1/units/join" if "scene" in raw else (
            "/api/v1/me" if "display" in raw else "/api/v1/filings")
        method = "PATCH" if path == "/api/v1/me" else "POST"
        status, err = await alice.call(method, path, data=raw,
                                       headers={"Content-Type": "application/json"})
        assert status == 422 and err["error"]["code"] == "text_invalid", err
        assert err["error"]["field"] == field
    status, err = await alice.call("POST", "/api/v1/filings", data="[" * 60_000,
                                   headers={"Content-Type": "application/json"})
    assert status == 422 and err["error"]["code"] == "invalid_json"
    resp = await client.get("/api/v1/units/by-scene/u%00x")
    assert resp.status in (404, 422)


async def test_hostile_query_strings_are_no_server_error(client, login, staff_login) -> None:
    from borderpass.miniapp_api.openapi import QUERIES

    callers = [await login(), await staff_login("admin"), await staff_login("gate_supervisor")]
    for (method, path), names in QUERIES.items():
        url = re.sub(r"{(\w+)}", "1", path)
        for value in ("%00", "%ED%A0%80", "%FF", "x" * 3000, "2026-13-40T99:00", "-1"):
            query = "&".join(f"{n}={value}" for n in names)
            for caller in callers:
                resp = await client.request(method.upper(), f"{url}?{query}",
                                            headers=caller.headers)
                assert resp.status < 500, (path, value, await resp.text())


async def test_hostile_lane_codes_are_401(client) -> None:
    for code in ("l%00x", "%ED%A0%80", "x" * 300, "%D9%A3"):
        resp = await client.post(f"/gate/lanes/{code}/scans", data=b"{}",
                                 headers={"Authorization": "Bearer t"})
        assert resp.status == 401, (code, resp.status)
