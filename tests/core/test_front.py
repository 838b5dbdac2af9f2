"""The front door: / names the service and links somewhere real; /console and /api/docs
redirect to their slash; Swagger UI's files are served from the package, not a CDN."""

from __future__ import annotations

import re
from typing import Any

from borderpass.app.front import version


async def test_home_names_the_service_and_every_link_answers(client: Any) -> None:
    resp = await client.get("/")
    assert resp.status == 200
    page = await resp.text()
    assert "BorderPass" in page and version() in page
    links = re.findall(r'href="([^"]+)"', page)
    assert {"/api/docs/", "/api/v1/openapi.json", "/console/"} <= set(links)
    for link in links:
        followed = await client.get(link)
        assert followed.status == 200, link


async def test_console_and_docs_without_slash_redirect(client: Any) -> None:
    for bare in ("/console", "/api/docs"):
        resp = await client.get(bare, allow_redirects=False)
        assert resp.status == 308, bare
        assert resp.headers["Location"] == f"{bare}/"


async def test_swagger_ui_is_served_locally_on_the_document(client: Any) -> None:
    page = await (await client.get("/api/docs/")).text()
    scripts = re.findall(r'src="([^"]+)"', page) + re.findall(r'href="([^"]+\.css)"', page)
    assert scripts and all(s.startswith("/api/docs/") for s in scripts)  # no CDN
    for src in scripts:
        resp = await client.get(src)
        assert resp.status == 200, src
        assert len(await resp.read()) > 100, src
    init = await (await client.get("/api/docs/init.js")).text()
    assert "/api/v1/openapi.json" in init
