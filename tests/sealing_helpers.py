"""A journey that stores every kind of personal number, and ways to look at what was stored.

Used by the sealing tests (R-U7): after it, no identity, licence or permit number and no
phone may be found in clear in a database dump, the server log, or the uploaded files.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from api_helpers import Caller
from factories import jpeg, personal_body
from suite_settings import (  # noqa: F401  (re-exported to the sealing tests)
    MINIAPP_APPID,
    MINIAPP_SECRET,
    TEST_DB,
    TEST_KEY,
    TEST_REDIS,
    pg_admin,
    with_db_name,
)

from borderpass.adapters.db import close_db, init_db
from borderpass.core.config import Settings
from borderpass.services.filings import commitments
from borderpass.services.identity import users
from borderpass.services.validators import make_id_number, make_uscc

# Numbers used by no other test, so a dump can only hold them if this journey leaked them.
OWNER = make_id_number("533102", date(1987, 3, 14), 421)
SECOND = make_id_number("533103", date(1991, 8, 2), 377)
LICENCE = "DL5331029977"
PERMIT = "C90817263"
PERMIT_2 = "E55443322"
DRIVER_PHONE = "13911223344"
SECOND_PHONE = "13922334455"
PROFILE_PHONE = "13933445566"
UNIT_PHONE = "13944556677"
EXPORT_PHONE = "13955667788"
SECRETS = (OWNER, SECOND, LICENCE, PERMIT, PERMIT_2, DRIVER_PHONE, SECOND_PHONE,
           PROFILE_PHONE, UNIT_PHONE, EXPORT_PHONE)
ROOT = Path(__file__).resolve().parents[1]
IMAGE_HEADERS = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF")


def _consent(kind: str) -> dict[str, Any]:
    text = commitments.current(kind, "zh_CN")
    return {"version": text.version, "locale": "zh_CN", "text_sha256": text.sha256,
            "accepted": True}


async def wx_login(client: TestClient, fake_wechat: Any, name: str) -> Caller:
    code = fake_wechat.issue_login_code(f"o-{name}")
    resp = await client.post("/api/v1/auth/wx-login", json={"code": code})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    caller = Caller(client, body["token"], body["user"]["id"])
    status, notice = await caller.call("GET", "/api/v1/privacy/notice")  # R-D1
    status, consent = await caller.call("POST", "/api/v1/privacy/consent", json={
        "version": notice["version"], "locale": notice["locale"],
        "text_sha256": notice["sha256"], "accepted": True})
    assert status == 200, consent
    return caller


async def staff(client: TestClient, role: str) -> Caller:
    await users.add_staff(role, "correct-horse-1", [role])
    resp = await client.post("/api/v1/auth/staff-login",
                             json={"username": role, "password": "correct-horse-1"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    return Caller(client, body["token"], body["user"]["id"])


_SHADES = itertools.cycle(range(10, 250, 3))


async def _doc(caller: Caller, kind: str) -> int:
    """Upload a distinct image (files are content-addressed: equal images are one file)."""
    status, body = await caller.upload(kind, jpeg(color=f"#{next(_SHADES):02x}8040"))
    assert status == 201, body
    return int(body["id"])


async def journey(client: TestClient, fake_wechat: Any) -> dict[str, Any]:
    """A driver files a vehicle with two drivers and every document, a reviewer reads and
    approves it, a unit registers and lists the driver, an exporter files an enterprise:
    every number and phone above goes through the API once."""
    from borderpass.models.enums import FilingCategory
    from borderpass.services.filings.requirements import (
        PER_DRIVER_DOCUMENTS,
        base_documents,
        driver_slot,
    )

    alice = await wx_login(client, fake_wechat, "sealer")
    reviewer = await staff(client, "reviewer")
    admin = await staff(client, "admin")
    status, me = await alice.call("PATCH", "/api/v1/me", json={"phone": PROFILE_PHONE})
    assert status == 200 and me["phone"] != PROFILE_PHONE, me
    body = personal_body()
    body["owner"]["id_number"] = OWNER
    body["drivers"] = [
        {"name": "岩温", "id_number": OWNER, "licence_number": LICENCE, "permit_number": PERMIT,
         "phone": DRIVER_PHONE, "is_owner": True},
        {"name": "玉香", "id_number": SECOND, "licence_number": SECOND,
         "permit_number": PERMIT_2, "phone": SECOND_PHONE, "is_owner": False}]
    slots = [*base_documents(FilingCategory.PERSONAL), "relationship_proof",
             *(driver_slot(k, i) for i in range(2) for k in PER_DRIVER_DOCUMENTS)]
    body["documents"] = {slot: await _doc(alice, slot.split("#")[0]) for slot in slots}
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201, filing
    status, filing = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    assert status == 200, filing
    status, seen = await reviewer.call("GET", f"/api/v1/filings/{filing['id']}")
    assert status == 200, seen
    status, filing = await reviewer.call("POST",
                                         f"/api/v1/review/filings/{filing['id']}/approve")
    assert status == 200, filing

    unit_body = {"unit_name": "瑞丽封存测试有限公司", "unit_kind": "enterprise",
                 "uscc": make_uscc("MA6K3Q9W"), "contact_name": "岩温",
                 "contact_phone": UNIT_PHONE,
                 "documents": {"business_licence": await _doc(alice, "business_licence")}}
    status, unit = await alice.call("POST", "/api/v1/units", json=unit_body)
    assert status == 201, unit
    status, unit = await admin.call("POST", f"/api/v1/admin/units/{unit['id']}/authenticate",
                                    json={"approve": True})
    assert status == 200, unit
    status, unit = await alice.call("GET", f"/api/v1/units/{unit['id']}")
    join = {"scene": unit["scene"], "filing_id": filing["id"],
            "driver_id": filing["drivers"][0]["id"], "commitment": _consent("personal")}
    status, member = await alice.call("POST", "/api/v1/units/join", json=join)
    assert status == 201, member

    export = {"uscc": make_uscc("MA6K3Q8W"), "enterprise_name": "瑞丽封存出口有限公司",
              "address": "瑞丽市姐告 9 号", "legal_representative": "李明",
              "contact_name": "王芳", "contact_phone": EXPORT_PHONE,
              "documents": {k: await _doc(alice, k)
                            for k in ("business_licence", "export_filing_form")}}
    status, exported = await alice.call("POST", "/api/v1/export/filings", json=export)
    assert status == 201, exported
    return {"alice": alice, "reviewer": reviewer, "admin": admin, "filing": filing,
            "unit": unit, "member": member, "export": exported}


def pg_dump(url: str) -> bytes:
    """The whole database as pg_dump writes it (the PostgreSQL of the machine's own)."""
    found = shutil.which("pg_dump") or max(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    return subprocess.run([found, "--no-owner", url.replace("postgres://", "postgresql://", 1)],
                          check=True, capture_output=True, timeout=120).stdout


async def database_bytes(url: str) -> bytes:
    """Everything the database holds on disk or in a dump, for grepping."""
    if url.startswith("postgres"):
        return await asyncio.to_thread(pg_dump, url)
    path = Path(url.removeprefix("sqlite://"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
                    if p.exists())


def clear_in(blob: bytes, values: tuple[str, ...] = SECRETS) -> list[str]:
    """The values found in clear in ``blob`` (UTF-8 and, for the ASCII ones, UTF-16)."""
    return [v for v in values if v.encode() in blob or v.encode("utf-16-le") in blob]


def uploaded_files(data_dir: Path) -> list[Path]:
    """Every stored upload (content-addressed files under uploads/ab/…)."""
    root = data_dir / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def cli(args: list[str], settings_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``borderpass ARGS`` in its own process, with only the given BORDERPASS_* set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORDERPASS_")}
    env |= settings_env | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "borderpass.app.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a CLI process on the test's database and data directory."""
    return {"BORDERPASS_DATABASE_URL": settings.database_url,
            "BORDERPASS_DATA_DIR": str(settings.data_dir),
            "BORDERPASS_REDIS_URL": settings.redis_url, **extra}


@asynccontextmanager
async def own_database(tmp_path: Path, prefix: str) -> AsyncIterator[str]:
    """A migrated database of one test alone (nothing another test wrote can be in its
    dump): a new PostgreSQL database, dropped after, or a SQLite file."""
    if TEST_DB:
        name = f"borderpass_{prefix}_{uuid.uuid4().hex[:10]}"
        await pg_admin(TEST_DB, f'CREATE DATABASE "{name}"')
        url = with_db_name(TEST_DB, name)
    else:
        url = f"sqlite://{tmp_path / f'{prefix}.sqlite3'}"
    await init_db(url)
    try:
        yield url
    finally:
        await close_db()
        if TEST_DB:
            await pg_admin(TEST_DB, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
