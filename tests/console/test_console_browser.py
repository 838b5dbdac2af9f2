"""The console in headless Chromium (Debian's, driven by Playwright): each role logs in,
a reviewer returns a filing, customs approves a manual lift and issues an export licence,
a reviewer is kept out of customs pages. Screenshots of the main pages go to artifacts/console/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import PASSWORD, add_staff
from export_factories import approved_enterprise, exporter, licence_body, vins
from factories import driver_user, personal_body, submitted_filing

from borderpass.models import Filing
from borderpass.models.enums import FilingStatus
from borderpass.models.export import LicenceStatus
from borderpass.models.gate import LiftStatus
from borderpass.services.export import licences
from borderpass.services.gate import gate_lifts, lanes
from borderpass.web.appkeys import GATE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = [
    pytest.mark.usefixtures("db"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium installed"),
]


async def _login(page: Any, base: str, username: str) -> None:
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()


async def _logout(page: Any) -> None:
    await page.click("nav form button")
    await page.wait_for_url("**/console/login")


async def test_console_in_chromium(client: TestClient) -> None:  # R-F6, R-G4, R-G5, R-U7
    gate = client.server.app[GATE]
    base = str(client.server.make_url("")).rstrip("/")
    for role in ("reviewer", "customs", "gate_supervisor", "admin"):
        await add_staff(role)
    first = await submitted_filing(gate.deps, await driver_user("a"))
    second = await submitted_filing(gate.deps, await driver_user("b"),
                                    personal_body(plate_number="云N22222"))
    lane, _token = await lanes.create(gate.deps, {"code": "ruili-out-1", "port": "ruili",
                                                  "lane_type": "people", "direction": "exit"})
    lift = await gate_lifts.request_lift(gate, lane, "guard-7", "扫码器故障，人工核验", "云N33333")
    company = await exporter()
    enterprise = await approved_enterprise(gate.deps, company)
    licence = await licences.apply(gate.deps, company, await licence_body(
        gate.deps, company, enterprise, vins(2)))
    SHOTS.mkdir(parents=True, exist_ok=True)

    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1366, "height": 800},
                                                locale="zh-CN")
            page = await context.new_page()

            # Reviewer: queue → keyboard opens the first filing → return with field reasons.
            await _login(page, base, "reviewer")
            assert await page.locator("table.queue tbody tr").count() == 2
            await page.screenshot(path=str(SHOTS / "review-queue.png"), full_page=True)
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"**/console/review/filings/{first.id}")
            assert await page.locator("figure.doc img").count() >= 5
            await page.screenshot(path=str(SHOTS / "review-filing.png"), full_page=True)
            await page.click("tr[data-path='vehicle.vin'] button.flag")
            await page.keyboard.type("车架号与铭牌照片不一致")
            await page.click("figure#doc-photo_side button.flag")
            await page.select_option("select[name=code_1]", "image_corrupt")
            await page.click("#return-form button[type=submit]")
            # R-F11: on to the next filing of the queue, not back to the list.
            await page.wait_for_url(f"**/console/review/filings/{second.id}?done=returned")
            await page.goto(f"{base}/console/review")
            assert await page.locator("table.queue tbody tr").count() == 1
            returned = await Filing.get(id=first.id)
            assert returned.status is FilingStatus.RETURNED
            assert [r["field"] for r in returned.return_reasons] == [
                "vehicle.vin", "documents.photo_side"]
            # …and is kept out of customs pages.
            response = await page.goto(f"{base}/console/lifts")
            assert response is not None and response.status == 403
            assert await page.locator("nav a[href='/console/lifts']").count() == 0
            assert await page.locator("nav a[href='/console/export/licences']").count() == 0
            await page.goto(f"{base}/console/review")
            await _logout(page)

            # Customs: the pending manual lift, approved.
            await _login(page, base, "customs")
            await page.wait_for_selector("text=扫码器故障，人工核验")
            await page.screenshot(path=str(SHOTS / "customs-lifts.png"), full_page=True)
            await page.click("form.lift-decision button[value=approve]")
            await page.wait_for_url("**/console/lifts?done=lift_approved")
            await lift.refresh_from_db()
            assert lift.status is LiftStatus.APPROVED
            await page.goto(f"{base}/console/blacklist")
            await page.screenshot(path=str(SHOTS / "customs-blacklist.png"), full_page=True)
            # …and issues an export licence: Enter opens the first application (R-E5).
            await page.goto(f"{base}/console/export/licences")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"**/console/export/licences/{licence.id}")
            assert await page.locator("table.vehicles tbody tr").count() == 2
            await page.screenshot(path=str(SHOTS / "customs-export-licence.png"), full_page=True)
            await page.click("#approve-form button")
            await page.wait_for_url("**/console/export/licences?done=licence_issued")
            await licence.refresh_from_db()
            assert licence.status is LicenceStatus.ISSUED
            await _logout(page)

            # Gate supervisor: lanes and the ledger, which shows the approved lift.
            await _login(page, base, "gate_supervisor")
            assert await page.locator("text=ruili-out-1").count() >= 1
            await page.screenshot(path=str(SHOTS / "gate-lanes.png"), full_page=True)
            await page.goto(f"{base}/console/ledger")
            assert await page.locator("td >> text=人工抬杆").count() >= 1  # labelled, not a code
            assert await page.locator("td >> text=扫码器故障，人工核验").count() >= 1  # reason
            await page.screenshot(path=str(SHOTS / "gate-ledger.png"), full_page=True)
            await _logout(page)

            # Admin, in English: staff accounts.
            await _login(page, base, "admin")
            await page.goto(f"{base}/console/staff")
            await page.click("nav a[lang=en]")
            await page.wait_for_selector("html[lang=en]")
            await page.screenshot(path=str(SHOTS / "admin-staff-en.png"), full_page=True)
        finally:
            await browser.close()
