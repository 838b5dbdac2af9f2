"""Ports are data (issue 26): listed for the mini-program, declared at, added by the CLI."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from api_helpers import approved_filing_id
from suite_settings import TEST_KEY

from borderpass.models import Declaration, Port
from borderpass.services.crossings import land_ports

pytestmark = pytest.mark.usefixtures("db")
SEEDED = ["yonghe", "qingshuihe", "ruili", "wanding", "zhangfeng", "houqiao", "nansan",
          "menglian", "daluo"]


async def _declare(caller, filing_id: int, port: object, **headers: str) -> tuple[int, dict]:
    _, filing = await caller.call("GET", f"/api/v1/filings/{filing_id}")
    return await caller.call("POST", "/api/v1/declarations", headers=headers, json={
        "filing_id": filing_id, "driver_id": filing["drivers"][0]["id"], "direction": "exit",
        "port": port})


async def test_ports_are_listed_with_names_in_three_languages(client) -> None:
    resp = await client.get("/api/v1/ports", headers={"Accept-Language": "my"})  # public
    body = await resp.json()
    assert resp.status == 200 and [p["code"] for p in body["items"]] == SEEDED
    yonghe = body["items"][0]
    assert yonghe["names"] == {"zh_CN": "永和", "my": "ယုံဟော်", "en": "Yonghe"}
    assert yonghe["name"] == "ယုံဟော်" and yonghe["countries"] == "CN-MM"
    resp = await client.get("/api/v1/ports", headers={"Accept-Language": "en"})
    assert [p["name"] for p in (await resp.json())["items"]][:2] == ["Yonghe", "Qingshuihe"]
    assert "mengding" not in {p["code"] for p in body["items"]}  # an alias, never offered


async def test_declaring_at_yonghe_names_the_port_in_the_users_language(
        login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    status, made = await _declare(alice, filing_id, "yonghe")
    assert status == 201, made
    assert (made["port"], made["port_name"]) == ("yonghe", "永和")
    await alice.call("PATCH", "/api/v1/me", json={"locale": "my"})
    status, again = await alice.call("GET", f"/api/v1/declarations/{made['id']}")
    assert status == 200 and again["port_name"] == "ယုံဟော်"
    status, gate_pass = await alice.call("GET", f"/api/v1/declarations/{made['id']}/pass")
    assert status == 200 and (gate_pass["port"], gate_pass["port_name"]) == ("yonghe",
                                                                             "ယုံဟော်")


@pytest.mark.parametrize("port", ["atlantis", "", "YONGHE", 7, None, "x" * 500])
async def test_an_unknown_port_is_refused_listing_the_ports(login, staff_login, port) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    status, err = await _declare(alice, filing_id, port, **{"Accept-Language": "en"})
    assert status == 422 and err["error"]["field"] == "port"
    assert err["error"]["code"] in ({"choice"} if port is not None else {"required"})
    if port is not None:
        assert "yonghe" in err["error"]["message"] and "daluo" in err["error"]["message"]
    assert await Declaration.all().count() == 0


async def test_a_deactivated_port_is_refused_and_no_longer_listed(
        login, staff_login, monkeypatch) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    await land_ports.set_active("wanding", False)  # this process: seen at once
    status, err = await _declare(alice, filing_id, "wanding")
    assert status == 422 and err["error"]["code"] == "choice"
    assert "wanding" not in err["error"]["message"] and "ruili" in err["error"]["message"]
    listed = await (await alice.client.get("/api/v1/ports")).json()
    assert "wanding" not in [p["code"] for p in listed["items"]]
    # Another process (`borderpass ports deactivate nansan` elsewhere) changes the table:
    # this one follows once its copy is older than CACHE_TTL.
    status, _ = await _declare(alice, filing_id, "ruili")  # the copy is fresh here
    assert status == 201
    await Port.filter(code="nansan").update(active=False)
    monkeypatch.setattr(land_ports, "CACHE_TTL", 0.0)
    status, err = await _declare(alice, filing_id, "nansan")
    assert status == 422 and err["error"]["field"] == "port"


async def test_mengding_is_an_alias_of_qingshuihe(login, staff_login) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    status, made = await _declare(alice, filing_id, "mengding")
    assert status == 201 and (made["port"], made["port_name"]) == ("qingshuihe", "清水河")


def _cli(db_url: str, data_dir: Path, *argv: str) -> tuple[int, str, str]:
    """Run ``borderpass`` in its own process, as an operator would."""
    import subprocess

    data_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_DATA_DIR": str(data_dir),
                        "BORDERPASS_DATA_KEY": TEST_KEY, "BORDERPASS_LOCALE": "en",
                        "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", "import sys; from borderpass.app.cli import "
                           "main; sys.exit(main(sys.argv[1:]))", *argv],
                          env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


async def test_a_port_added_by_the_cli_can_be_declared_at_once(
        db, login, staff_login, data_dir, monkeypatch) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    filing_id = await approved_filing_id(alice, reviewer)
    assert (await _declare(alice, filing_id, "tengchong"))[0] == 422  # not a port yet
    monkeypatch.setattr(land_ports, "MISS_REFRESH", 0.0)  # the process just read its copy
    code, out, err = await asyncio.to_thread(
        _cli, db, data_dir, "ports", "add", "tengchong", "--zh", "腾冲", "--my", "တိန်ချုံး",
        "--en", "Tengchong")
    assert code == 0 and "port tengchong added" in out, err
    status, made = await _declare(alice, filing_id, "tengchong")  # the server re-reads at once
    assert status == 201 and made["port_name"] == "腾冲", made
    code, out, err = await asyncio.to_thread(_cli, db, data_dir, "ports", "add", "tengchong",
                                             "--zh", "腾冲", "--my", "x", "--en", "T")
    assert code == 1 and "[port_exists]" in err and "already exists" in err
    assert await Port.filter(code="tengchong").count() == 1
