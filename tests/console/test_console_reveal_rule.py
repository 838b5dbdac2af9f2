"""Who may reveal a listed owner (R-F9, R-U7) is one rule, ``filing_reveal.need``: the
console's blacklist page offers "show" on a row exactly where the API's reveal of that
row's subject succeeds. The owner is listed while any unlifted entry names them, so a
lifted row of a still-listed owner offers it too, and nothing does once every entry is
lifted (docs/personal-data-access.md)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import console_login
from factories import OWNER_ID, SECOND_ID, approved_filing, driver_user, personal_body

from borderpass.models import BlacklistEntry, Filing
from borderpass.services import clock
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")


async def _entry(filing: Filing, subject_key: str | None, lifted: bool) -> BlacklistEntry:
    return await BlacklistEntry.create(
        subject_kind="person", subject_key=subject_key, subject_label="岩*",
        reason="overstay", filing=filing, lifted_at=clock.now() if lifted else None)


async def _offered(client: TestClient) -> set[str]:
    html = await (await client.get("/console/blacklist?all=1")).text()
    assert OWNER_ID not in html
    return {part.split('/reveal"', 1)[0] for part in html.split("/console/filings/")[1:]
            if '/reveal"' in part.split(">", 1)[0]}


async def _api_reveal(caller: Any, filing_id: int) -> int:
    status, body = await caller.call("POST", f"/api/v1/filings/{filing_id}/reveal",
                                     json={"field": "owner.id_number", "purpose": "核查"})
    assert (OWNER_ID in repr(body)) == (status == 200)
    return int(status)


async def test_console_and_api_agree_on_a_listed_owner(client: TestClient,
                                                       staff_login: Any) -> None:
    deps = client.server.app[DEPS]
    alice, bob = await driver_user(), await driver_user("bob")
    first = await approved_filing(deps, alice)
    second = await approved_filing(deps, alice, personal_body(plate_number="云N54321"))
    body = personal_body(plate_number="云N67890", owner_name="李四")
    body["owner"]["id_number"] = SECOND_ID  # bob's own vehicle, bob driving
    body["drivers"][0] |= {"name": "李四", "id_number": SECOND_ID, "licence_number": SECOND_ID}
    others = await approved_filing(deps, bob, body)
    await _entry(first, first.owner_key, lifted=False)  # alice listed
    await _entry(second, second.owner_key, lifted=True)  # alice is still listed by the first
    await _entry(others, first.owner_key, lifted=False)  # names alice, not this filing's owner
    customs = await staff_login("customs")
    await console_login(client, "customs")
    assert await _offered(client) == {str(first.id), str(second.id)}
    assert [await _api_reveal(customs, f.id) for f in (first, second, others)] == \
        [200, 200, 403]
    await BlacklistEntry.filter(subject_key=first.owner_key).update(lifted_at=clock.now())
    assert await _offered(client) == set()
    assert [await _api_reveal(customs, f.id) for f in (first, second, others)] == \
        [403, 403, 403]


async def test_organisation_entry_offers_nothing(client: TestClient, staff_login: Any) -> None:
    deps = client.server.app[DEPS]
    filing = await approved_filing(deps, await driver_user())
    await _entry(filing, f"filing:{filing.id}", lifted=False)  # not the owner's key
    customs = await staff_login("customs")
    await console_login(client, "customs")
    assert await _offered(client) == set()
    assert await _api_reveal(customs, filing.id) == 403
