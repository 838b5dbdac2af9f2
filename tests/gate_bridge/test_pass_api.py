"""The pass over HTTP: the owner's device gets the secret once, chat users a PNG of the current
QR that opens the lane, a new phone makes old codes stale, and nobody else gets it (R-F7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
from api_helpers import approved_filing_id
from gate_helpers import lane, qr

from borderpass.services import clock
from borderpass.services.crossings import pass_tokens
from borderpass.services.gate.gate_decisions import Scan, decide
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def _declared(login, staff_login):
    clock.freeze(T0)
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    _, filing = await alice.call("GET", f"/api/v1/filings/{filing_id}")
    status, declaration = await alice.call("POST", "/api/v1/declarations", json={
        "filing_id": filing_id, "driver_id": filing["drivers"][0]["id"], "direction": "exit",
        "port": "ruili"})
    assert status == 201, declaration
    return alice, declaration["id"]


def _decode_png(data: bytes) -> tuple[str, int]:
    """The text of a QR image and its version (from the module count: 17 + 4 × version)."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    # OpenCV's classic detector misses about 1 symbol in 40 of these; its ArUco-based one
    # reads those (checked on 400 generated passes), so a miss is not the server's fault.
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, points, _ = detector.detectAndDecode(image)
        if text:
            break
    assert text, "the PNG holds no readable QR code"
    side = float(np.linalg.norm(points[0][1] - points[0][0]))
    modules = round(side / 8)  # box_size 8
    return text, (modules - 17) // 4


async def _at_lane(client, *scans: tuple[str, str]) -> list[tuple[str, str]]:
    """(action, reason) of each (event id, QR text) scanned at one new lane, in order."""
    gate = client.server.app[GATE]
    out, _ = await lane(gate)
    decisions = [await decide(gate, out, Scan(event_id, text)) for event_id, text in scans]
    return [(d.action, d.reason) for d in decisions]


async def test_secret_once_and_a_png_that_opens_the_lane(client, login, staff_login) -> None:
    alice, declaration_id = await _declared(login, staff_login)
    status, first = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    assert status == 200 and first["totp"]["secret"] and first["credential"]
    status, again = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    assert status == 200 and again["totp"]["secret"] is None  # delivered once
    assert again["credential"] == first["credential"]
    resp = await client.get(f"/api/v1/declarations/{declaration_id}/pass.png",
                            headers=alice.headers)
    assert resp.status == 200 and resp.content_type == "image/png"
    assert resp.headers["Cache-Control"] == "no-store"
    text, version = _decode_png(await resp.read())
    assert text == qr(first) and version <= 10  # the current code, a small symbol
    assert await _at_lane(client, ("png-1", text)) == [("open", "pass_valid")]


async def test_new_phone_makes_the_old_codes_stale(client, login, staff_login) -> None:
    alice, declaration_id = await _declared(login, staff_login)
    _, old = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    status, new = await alice.call("POST", f"/api/v1/declarations/{declaration_id}/pass/secret",
                                   json={})
    assert status == 200 and new["totp"]["secret"] != old["totp"]["secret"]
    assert await _at_lane(client, ("old-phone", qr(old)), ("new-phone", qr(new))) == [
        ("deny", "code_stale"), ("open", "pass_valid")]
    status, body = await alice.call("POST", f"/api/v1/declarations/{declaration_id}/pass/secret",
                                    json={"extra": 1})
    assert status == 422 and body["error"]["field"] == "extra"
    status, body = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    assert status == 409 and body["error"]["code"] == "pass_used"  # one pole, one release


async def test_a_screenshot_of_the_png_goes_stale(client, login, staff_login) -> None:
    alice, declaration_id = await _declared(login, staff_login)
    resp = await client.get(f"/api/v1/declarations/{declaration_id}/pass.png",
                            headers=alice.headers)
    text, _ = _decode_png(await resp.read())
    clock.freeze(T0 + timedelta(minutes=2))  # beyond the 30 s step ± 1
    assert await _at_lane(client, ("screenshot", text)) == [("deny", "code_stale")]


async def test_only_the_owner_and_never_after_cancelling(client, login, staff_login) -> None:
    alice, declaration_id = await _declared(login, staff_login)
    bob = await login("bob")
    for path in ("pass", "pass.png"):
        status, _ = await bob.call("GET", f"/api/v1/declarations/{declaration_id}/{path}")
        assert status == 404
        resp = await client.get(f"/api/v1/declarations/{declaration_id}/{path}")
        assert resp.status == 401
    _, issued = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/pass")
    status, _ = await alice.call("POST", f"/api/v1/declarations/{declaration_id}/cancel")
    assert status == 200
    for path in ("pass", "pass.png"):
        status, body = await alice.call("GET", f"/api/v1/declarations/{declaration_id}/{path}")
        assert status == 409 and body["error"]["code"] == "pass_revoked"
    gate = client.server.app[GATE]
    out, _ = await lane(gate)
    refused = await decide(gate, out, Scan("after-cancel", qr(issued)))
    assert (refused.action, refused.reason) == ("deny", "pass_revoked")
    assert pass_tokens.parse(qr(issued)).credential.declaration_id == declaration_id
