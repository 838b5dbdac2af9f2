"""API test helpers: a logged-in caller, and whole flows through the HTTP endpoint."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient
from factories import jpeg


@dataclass
class Caller:
    """A logged-in API caller."""

    client: TestClient
    token: str
    user_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = self.headers | kwargs.pop("headers", {})
        resp = await self.client.request(method, path, headers=headers, **kwargs)
        body = await resp.json() if resp.content_type == "application/json" else await resp.read()
        return resp.status, body

    async def upload(self, kind: str, data: bytes | None = None) -> tuple[int, Any]:
        from aiohttp import FormData

        form = FormData()
        form.add_field("kind", kind)
        form.add_field("file", data if data is not None else jpeg(), filename="x.jpg",
                       content_type="image/jpeg")
        return await self.call("POST", "/api/v1/documents", data=form)


async def attach_documents(caller: Caller, category: str = "personal",
                           drivers: int = 1) -> dict[str, int]:
    """Upload every document a category needs through the API."""
    from borderpass.models.enums import FilingCategory
    from borderpass.services.filings.requirements import (
        PER_DRIVER_DOCUMENTS,
        base_documents,
        driver_slot,
    )

    slots = list(base_documents(FilingCategory(category)))
    slots += [driver_slot(k, i) for i in range(drivers) for k in PER_DRIVER_DOCUMENTS]
    mapping = {}
    for slot in slots:
        status, body = await caller.upload(slot.split("#")[0])
        assert status == 201, body
        mapping[slot] = body["id"]
    return mapping


async def approved_filing_id(caller: Caller, reviewer: Caller, **vehicle: Any) -> int:
    """File, submit and approve a personal filing through the API; its id."""
    from factories import personal_body

    body = personal_body(**vehicle)
    body["documents"] = await attach_documents(caller)
    status, filing = await caller.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing
    status, filing = await caller.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    assert status == 200, filing
    status, filing = await reviewer.call("POST",
                                         f"/api/v1/review/filings/{filing['id']}/approve")
    assert status == 200, filing
    return int(filing["id"])


@contextlib.asynccontextmanager
async def outbox_broken() -> AsyncIterator[None]:
    """The notification outbox table is gone for a while: every insert into it fails in the
    database, as a full disk or a lost table would (issue #18: a change and its message
    are one transaction)."""
    from openapi_contract import PROVOKED
    from tortoise import connections

    db = connections.get("default")
    await db.execute_script("ALTER TABLE notifications RENAME TO notifications_away")
    PROVOKED.add(500)
    try:
        yield
    finally:
        PROVOKED.discard(500)
        await db.execute_script("ALTER TABLE notifications_away RENAME TO notifications")


RENEWAL_FRESH = ("photo_front_45", "photo_rear_45", "photo_side")  # asked anew (R-F3)


async def submitted_renewal(alice: Caller, filing_id: int, **patch: Any) -> dict[str, Any]:
    """Open the renewal, bring the fresh photos (and ``patch``), submit with the commitment."""
    status, draft = await alice.call("POST", f"/api/v1/filings/{filing_id}/renew")
    assert status == 201, draft
    photos = {}
    for kind in RENEWAL_FRESH:
        status, doc = await alice.upload(kind)
        photos[kind] = doc["id"]
    status, draft = await alice.call("PATCH", f"/api/v1/filings/{draft['id']}",
                                     json={"documents": photos, **patch})
    assert status == 200, draft
    _, text = await alice.call("GET", "/api/v1/filings/commitment?locale=zh_CN")
    consent = {"version": text["version"], "locale": "zh_CN", "text_sha256": text["sha256"],
               "accepted": True}
    status, submitted = await alice.call("POST", f"/api/v1/filings/{draft['id']}/submit",
                                         json={"commitment": consent})
    assert status == 200, submitted
    return submitted  # type: ignore[no-any-return]
