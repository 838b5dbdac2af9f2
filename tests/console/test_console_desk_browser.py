"""The reviewer's desk and the console's layout in headless Chromium (issue #19, items 7–8).

- Every main page, in every language, fits a 1366 px wide screen (no horizontal overflow).
- The reviewer's desk: a sticky action bar, documents in an on-page viewer (zoom, rotate, no
  new tab), the claim shown to a second reviewer, the next filing after a decision.
- The lifts list refreshes without touching the note customs is typing.

Screenshots of the desk at 1366 × 768 in the three languages go to ``artifacts/console/``;
with ``BORDERPASS_UPDATE_SCREENSHOTS=1`` they also replace the committed ones in
``docs/screenshots/`` (referenced from docs/console.md), as small palette PNGs. Burmese needs
a Myanmar font (Debian: fonts-noto-core), or it shows as empty boxes.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from console_helpers import PASSWORD, add_staff
from factories import driver_user, personal_body, submitted_filing

from borderpass.models import Filing
from borderpass.models.enums import FilingStatus
from borderpass.services.gate import gate_lifts, lanes
from borderpass.web.appkeys import GATE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
UPDATE_DOCS = os.environ.get("BORDERPASS_UPDATE_SCREENSHOTS") == "1"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
WIDTH, HEIGHT = 1366, 768
LANGS = ("zh_CN", "en", "my")
MAIN_PAGES = ("/review", "/lifts", "/blacklist", "/export/licences", "/lanes", "/ledger",
              "/units", "/staff", "/notifications")

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


async def _page_width(page: Any) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth"))


def _save_shot(png: bytes, name: str) -> None:
    """Keep a screenshot small (a 128-colour palette PNG) in artifacts/, and in docs/ when
    asked to update the committed ones."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / name, "PNG", optimize=True)
    if UPDATE_DOCS:
            image.save(DOCS_SHOTS / name, "PNG", optimize=True)


async def _browser(pw: Any) -> Any:
    return await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)


async def _context(browser: Any) -> Any:
    return await browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                     locale="zh-CN")


async def test_no_page_is_wider_than_1366_in_any_language(client: TestClient) -> None:
    gate = client.server.app[GATE]
    base = str(client.server.make_url("")).rstrip("/")
    await add_staff("admin")
    filing = await submitted_filing(gate.deps, await driver_user("a"))
    lane, _token = await lanes.create(gate.deps, {"code": "ruili-out-1", "port": "ruili",
                                                  "lane_type": "people", "direction": "exit"})
    await gate_lifts.request_lift(gate, lane, "guard-7", "扫码器故障，人工核验", "云N33333")
    async with playwright_api.async_playwright() as pw:
        browser = await _browser(pw)
        try:
            page = await (await _context(browser)).new_page()
            await _login(page, base, "admin")
            too_wide = []
            for lang in LANGS:
                await page.goto(f"{base}/console/lang/{lang}?next=/console/review")
                await page.wait_for_selector(f"html[lang={lang.replace('_', '-')}]")
                for path in (*MAIN_PAGES, f"/review/filings/{filing.id}"):
                    response = await page.goto(f"{base}/console{path}")
                    assert response is not None and response.status == 200, path
                    width = await _page_width(page)
                    if width > WIDTH:
                        too_wide.append((lang, path, width))
            assert not too_wide
        finally:
            await browser.close()


async def test_reviewers_desk(client: TestClient) -> None:  # R-F6, R-F11, R-U7
    gate = client.server.app[GATE]
    base = str(client.server.make_url("")).rstrip("/")
    await add_staff("reviewer", "rev-a")
    await add_staff("reviewer", "rev-b")
    first = await submitted_filing(gate.deps, await driver_user("a"))
    second = await submitted_filing(gate.deps, await driver_user("b"),
                                    personal_body(plate_number="云N22222"))
    async with playwright_api.async_playwright() as pw:
        browser = await _browser(pw)
        try:
            context = await _context(browser)
            page = await context.new_page()
            await _login(page, base, "rev-a")
            assert "共 2 件待审核" in await page.inner_text("#queue")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"**/console/review/filings/{first.id}")

            # The desk in three languages, at 1366 × 768: screenshots for docs/console.md.
            for lang in LANGS:
                await page.goto(f"{base}/console/lang/{lang}"
                                f"?next=/console/review/filings/{first.id}")
                await page.wait_for_selector(f"html[lang={lang.replace('_', '-')}]")
                await page.wait_for_load_state("networkidle")
                assert await _page_width(page) <= WIDTH
                _save_shot(await page.screenshot(), f"reviewer-desk-{lang}.png")
            await page.goto(f"{base}/console/lang/zh_CN?next=/console/review/filings/{first.id}")

            # The action bar stays in view at the bottom of a long page.
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            box = await page.locator(".actionbar").bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT
            assert await page.locator("#approve-form button").is_visible()

            # Documents open in the viewer on this page: zoom, rotate, next; no new tab.
            await page.evaluate("window.scrollTo(0, 0)")
            await page.click("figure#doc-vehicle_licence a.view")
            viewer = page.locator("#viewer")
            await viewer.wait_for(state="visible")
            assert len(context.pages) == 1 and page.url.endswith(f"/filings/{first.id}")
            assert await page.locator("#viewer .viewer-title").inner_text() == "机动车行驶证"
            await page.click("#viewer [data-act=zoom-in]")
            await page.click("#viewer [data-act=rotate-right]")
            assert await viewer.get_attribute("data-zoom") == "1.25"
            assert await viewer.get_attribute("data-turn") == "90"
            transform = await page.eval_on_selector("#viewer .viewer-stage img",
                                                    "img => img.style.transform")
            assert "rotate(90deg)" in transform and "scale(1.25)" in transform
            await page.click("#viewer [data-act=next]")
            assert await viewer.get_attribute("data-zoom") == "1"
            _save_shot(await page.screenshot(), "reviewer-desk-viewer.png")
            await page.keyboard.press("Escape")
            await viewer.wait_for(state="hidden")

            # A second reviewer sees who holds the filing and cannot decide it without
            # taking it over (R-F11).
            other = await (await _context(browser)).new_page()
            await _login(other, base, "rev-b")
            assert "Rev-A" in await other.inner_text("table.queue tbody tr:first-child")
            await other.goto(f"{base}/console/review/filings/{first.id}")
            assert await other.locator("#approve-form").count() == 0
            assert await other.locator("#takeover-form button").is_visible()

            # rev-a approves: on to the next filing, with the notice.
            await page.click("#approve-form button")
            await page.wait_for_url(f"**/console/review/filings/{second.id}?done=approved")
            assert await page.locator(".notice").count() == 1
            assert (await Filing.get(id=first.id)).status is FilingStatus.APPROVED
        finally:
            await browser.close()


async def test_lifts_refresh_keeps_the_note_being_typed(client: TestClient) -> None:  # R-G4
    gate = client.server.app[GATE]
    base = str(client.server.make_url("")).rstrip("/")
    await add_staff("customs")
    lane, _token = await lanes.create(gate.deps, {"code": "ruili-out-1", "port": "ruili",
                                                  "lane_type": "people", "direction": "exit"})
    lift = await gate_lifts.request_lift(gate, lane, "guard-7", "扫码器故障", "云N33333")
    async with playwright_api.async_playwright() as pw:
        browser = await _browser(pw)
        try:
            page = await (await _context(browser)).new_page()
            await _login(page, base, "customs")
            note = f"form[action='/console/lifts/{lift.id}/decide'] input[name=note]"
            await page.click(note)
            await page.keyboard.type("已电话核实车")
            # A new request arrives; the list refreshes (now, rather than in 15 s).
            await gate_lifts.request_lift(gate, lane, "guard-8", "道闸无响应", "云N44444")
            assert await page.evaluate("BorderPassConsole.refresh('#lifts')") is True
            assert await page.locator("#lifts >> text=道闸无响应").count() == 1
            assert await page.input_value(note) == "已电话核实车"
            assert await page.evaluate("document.activeElement.name") == "note"
            await page.keyboard.type("主")  # the caret stayed at the end
            assert await page.input_value(note) == "已电话核实车主"
            # Refreshing again with the note typed but not focused keeps it too.
            await page.evaluate("document.activeElement.blur()")
            assert await page.evaluate("BorderPassConsole.refresh('#lifts')") is True
            assert await page.input_value(note) == "已电话核实车主"
            await page.click(f"form[action='/console/lifts/{lift.id}/decide'] "
                             "button[value=refuse]")
            await page.wait_for_url("**/console/lifts?done=lift_refused")
            await lift.refresh_from_db()
            assert lift.decision_note == "已电话核实车主"
        finally:
            await browser.close()
