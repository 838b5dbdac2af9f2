"""Sealing benchmark: how fast ``borderpass keys rotate`` re-seals a database (R-U7).

Seeds N filings of two drivers each (every number and phone sealed under the old key)
and N sealed 60 KB files into a fresh SQLite database, or PostgreSQL when
``BORDERPASS_DATABASE_URL`` names a server (a new database is made there and dropped),
then times one rotation pass (rows and files) and one verifying scan, and prints rows/s.

    .venv/bin/python bench/sealing.py [--filings 2000] [--batch 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderpass.adapters.db import close_db, init_db
from borderpass.adapters.storage import FileStore
from borderpass.core.crypto import FieldCipher
from borderpass.services.ports import Deps

OLD, NEW = bytes(range(32)), bytes(range(1, 33))


async def _seed(deps: Deps, count: int) -> None:
    from borderpass.models import Filing, FilingDriver, User
    from borderpass.models.enums import FilingCategory

    user = await User.create(openid=f"bench-{uuid.uuid4().hex[:8]}")
    c = deps.cipher
    await Filing.bulk_create([Filing(
        applicant=user, category=FilingCategory.PERSONAL,
        sealed={"owner.id_number": c.encrypt(f"53310219870314{i:04d}", "owner.id_number")})
        for i in range(count)])
    filings = await Filing.filter(applicant=user).order_by("id")
    await FilingDriver.bulk_create([FilingDriver(
        filing=f, position=p, name="岩温", sealed={
            name: c.encrypt(f"{name}-{f.id}-{p}", f"driver.{name}")
            for name in ("id_number", "licence_number", "permit_number", "phone")})
        for f in filings for p in range(2)])
    for i in range(count):
        deps.files.put(os.urandom(60_000) + i.to_bytes(4, "big"))


async def main(args: argparse.Namespace) -> None:
    from borderpass.services.privacy.resealing import Report, leftovers, reseal_files, reseal_rows

    base = os.environ.get("BORDERPASS_DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as tmp:
        name = f"borderpass_bench_{uuid.uuid4().hex[:8]}"
        url = f"{base.rpartition('/')[0]}/{name}" if base else f"sqlite://{tmp}/bench.sqlite3"
        if base:
            import asyncpg

            admin = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1))
            await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            await init_db(url)
            root = Path(tmp) / "uploads"
            old = FieldCipher(OLD)
            await _seed(Deps(old, FileStore(root, old), None, ZoneInfo("UTC")),  # type: ignore[arg-type]
                        args.filings)
            new = FieldCipher(NEW, [OLD], old.index_key)
            deps = Deps(new, FileStore(root, new), None, ZoneInfo("UTC"))  # type: ignore[arg-type]
            report, started = Report(), time.perf_counter()
            await reseal_rows(deps, report, args.batch)
            took_rows, started = time.perf_counter() - started, time.perf_counter()
            reseal_files(deps, report)
            took_files = time.perf_counter() - started
            started = time.perf_counter()
            left = await leftovers(deps, args.batch)
            scan = time.perf_counter() - started
            rows = sum(report.rows.values())
            print(f"{'back end':<10}{'rows':>7}{'rows s':>8}{'rows/s':>8}{'files':>7}"
                  f"{'files s':>9}{'files/s':>9}{'scan s':>8}  left")
            print(f"{url.split(':')[0]:<10}{rows:>7}{took_rows:>8.2f}{rows / took_rows:>8.0f}"
                  f"{report.files:>7}{took_files:>9.2f}{report.files / took_files:>9.0f}"
                  f"{scan:>8.2f}  {left or 0}")
            await close_db()
        finally:
            if base:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filings", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
