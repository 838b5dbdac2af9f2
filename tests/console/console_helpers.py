"""Helpers of the console tests: log staff in through the login form, read CSRF tokens."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from borderpass.services.identity import users

PASSWORD = "correct-horse-1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def add_staff(role: str, name: str | None = None) -> None:
    await users.add_staff(name or role, PASSWORD, [role], name=(name or role).title())


async def console_login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the page it lands on."""
    page = await client.get("/console/login")
    assert page.status == 200
    resp = await client.post("/console/login", data={
        "csrf": csrf_of(await page.text()), "username": username, "password": password})
    return await resp.text()


async def csrf(client: TestClient, path: str) -> str:
    """The CSRF token shown on a console page."""
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    return csrf_of(await resp.text())
