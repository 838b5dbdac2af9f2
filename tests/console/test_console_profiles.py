"""Profiles in the console (R-P1): the reviewer sees the profile a business filing was filled
from with its history; the admin sees a unit's profile and the USCC's other claims, and
verifies a claim."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import add_staff, console_login, csrf
from factories import attach_all, business_body, driver_user, jpeg

from borderpass.models import OrganisationProfile
from borderpass.services.filings import documents, filings, profiles
from borderpass.services.units import units
from borderpass.services.validators import make_uscc
from borderpass.web.appkeys import DEPS

pytestmark = pytest.mark.usefixtures("db")
USCC = make_uscc("MA6P1D9K")


async def _profile(deps: Any, name: str = "alice", org: str = "瑞丽边贸进出口有限公司"
                   ) -> OrganisationProfile:
    user = await driver_user(name)
    doc = await documents.upload(deps, user, "business_licence", jpeg())
    return await profiles.create(deps, user, {
        "uscc": USCC, "organisation_name": org, "legal_representative": "李明",
        "address": "瑞丽市姐告大道 8 号", "contact_name": "王芳",
        "contact_phone": "13812345678", "licence_document_id": doc.id})


async def test_reviewer_sees_the_profile_and_its_history(client: TestClient) -> None:
    deps = client.server.app[DEPS]
    profile = await _profile(deps)
    alice = await profile.claimant
    await profiles.update(deps, alice, profile.id, {"address": "瑞丽市姐告大道 9 号"})
    body = business_body()
    del body["organisation"]
    docs = await attach_all(deps, alice, "business")
    docs.pop("business_licence")
    filing = await filings.create(deps, alice, {**body, "documents": docs,
                                                "profile_id": profile.id})
    await filings.submit(deps, alice, filing.id)
    await add_staff("reviewer")
    await console_login(client, "reviewer")
    resp = await client.get(f"/console/review/filings/{filing.id}")
    html = await resp.text()
    assert resp.status == 200, html
    assert f"/console/profiles/{profile.id}" in html and "变更记录" in html
    assert "瑞丽市姐告大道 8 号" in html and "瑞丽市姐告大道 9 号" in html  # old → new
    assert "13812345678" not in html and "138******78" in html  # R-U7


async def test_admin_sees_claims_of_a_units_uscc_and_verifies(client: TestClient) -> None:
    deps = client.server.app[DEPS]
    hers = await _profile(deps)
    await _profile(deps, "mallory", "冒名公司")  # a stranger's claim of the same USCC
    alice = await hers.claimant
    await units.register(deps, alice, {"profile_id": hers.id, "unit_kind": "enterprise"})
    await add_staff("admin")
    await console_login(client, "admin")
    html = await (await client.get("/console/units")).text()
    assert f"{hers.id} · claimed ★" in html and "/console/profiles/" in html
    page = await (await client.get(f"/console/profiles/{hers.id}")).text()
    assert "同一代码另有 1 份信息" in page and "冒名公司" in page
    token = await csrf(client, f"/console/profiles/{hers.id}")
    resp = await client.post(f"/console/profiles/{hers.id}/verify", data={"csrf": token},
                             allow_redirects=False)
    assert resp.status == 303 and "profile_verified" in resp.headers["Location"]
    assert {p.status.value for p in await OrganisationProfile.filter(uscc=USCC)} == {
        "verified", "superseded"}
