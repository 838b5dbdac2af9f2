"""Hostile console forms (found beside the OpenAPI fuzz): a garbled multipart body or a NUL
in a field is a 400 page, never a 500, logged in or not."""

from __future__ import annotations

import pytest
from console_helpers import add_staff, console_login, csrf

pytestmark = pytest.mark.usefixtures("db")
GARBLED = b"--b0undary\r\n410--b0undary--\r\n"
MULTIPART = {"Content-Type": "multipart/form-data; boundary=b0undary"}


async def test_garbled_and_nul_forms_are_400(client) -> None:
    for path in ("/console/login", "/console/logout", "/console/review/filings/1/approve"):
        resp = await client.post(path, data=GARBLED, headers=MULTIPART, allow_redirects=False)
        assert resp.status == 400, (path, resp.status)
    token = await csrf(client, "/console/login")
    resp = await client.post("/console/login", data={
        "csrf": token, "username": "rev\x00iewer", "password": "x"}, allow_redirects=False)
    assert resp.status == 400
    await add_staff("reviewer")
    await console_login(client, "reviewer")
    resp = await client.post("/console/logout", data=GARBLED, headers=MULTIPART,
                             allow_redirects=False)
    assert resp.status == 400
    assert (await client.get("/console/")).status == 200  # still logged in: nothing done
