"""Restore drill: a ``pg_dump`` restored into an empty database, opened by the app's own code.

Proves a backup is usable: the restored database holds every migration this code ships,
the data key opens it (the app's key check against ``data_keys``), a sealed field is read
through the app's own code (``users.phone_of``, found by its blind index), and a sealed
document file restored from the document store's copy opens (``FileStore.get``).

    # self-test: make a source database, seal a phone and a file, dump, restore, read back
    python scripts/restore_check.py --admin-url postgres://postgres@127.0.0.1:5432/postgres

    # drill on a real backup (BORDERPASS_DATA_KEY set to the production key)
    python scripts/restore_check.py --admin-url postgres://postgres@db:5432/postgres \
        --dump /backup/borderpass.dump [--uploads /backup/uploads] [--keep]

Every database it makes is named ``borderpass_restore_<random>`` and dropped at the end
(``--keep`` keeps the restored one). Exit 0 when everything read back, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PHONE = "13800138000"  # the self-test's sealed value (not a real person's)
FILE = b"%PDF-1.4 restore drill " + secrets.token_bytes(16)


def with_db(url: str, name: str) -> str:
    """``url`` naming database ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def settings_for(url: str, data_dir: Path, key: str) -> object:
    from borderpass.core.config import Settings

    return Settings(database_url=url, data_dir=data_dir, data_key=key)


async def make_source(url: str, data_dir: Path, key: str) -> str:
    """A migrated database with one user whose phone is sealed, and one sealed file; the
    file's digest."""
    from borderpass.adapters.db import close_db, init_db
    from borderpass.adapters.kv import make_redis
    from borderpass.app.deps import open_deps
    from borderpass.services.identity import users

    await init_db(url)
    try:
        deps = await open_deps(settings_for(url, data_dir, key), make_redis(""))  # type: ignore[arg-type]
        user = await users.wechat_user("o-restore-drill", None)
        await users.update_profile(deps, user, {"phone": PHONE})
        return deps.files.put(FILE)
    finally:
        await close_db()


async def read_back(url: str, data_dir: Path, key: str, digest: str | None,
                    phone: str | None) -> list[str]:
    """Open the restored database as the app does; what was read, or raise."""
    from tortoise import connections

    from borderpass.adapters.db import close_db, init_db
    from borderpass.adapters.kv import make_redis
    from borderpass.app.deps import open_deps
    from borderpass.app.health import shipped_migrations
    from borderpass.models import User
    from borderpass.services.identity import phones, users

    await init_db(url, apply_migrations=False)  # as restored: nothing applied here
    report = []
    try:
        _, rows = await connections.get("default").execute_query(
            'SELECT "app", "name" FROM "tortoise_migrations"')
        missing = shipped_migrations() - {(r["app"], r["name"]) for r in rows}
        if missing:
            raise SystemExit(f"restored database lacks migrations: {sorted(missing)}")
        report.append(f"migrations: all {len(rows)} applied")
        # the app's key check: a wrong or missing key refuses to open the data (R-U7)
        deps = await open_deps(settings_for(url, data_dir, key), make_redis(""))  # type: ignore[arg-type]
        report.append(f"data key: accepted (key id {deps.cipher.kid})")
        if phone is not None:
            user = await User.get(phone_key=phones.index(deps, phone))
            read = users.phone_of(deps, user)
            if read != phone:
                raise SystemExit("the sealed phone did not read back")
            report.append("sealed field users.phone: read back through users.phone_of")
        else:
            user = await User.filter(sealed__not={}).order_by("id").first()
            if user is None:
                report.append("sealed field: no user with a sealed phone in this backup")
            else:
                read = users.phone_of(deps, user)
                report.append(f"sealed field users.phone of user {user.id}: opened "
                              f"({len(read or '')} digits)")
        if digest is not None:
            if deps.files.get(digest) != FILE:
                raise SystemExit("the sealed document did not read back")
            report.append(f"document store: sealed file {digest[:12]}… opened")
        elif any(deps.files.digests()):
            first = next(iter(deps.files.digests()))
            report.append(f"document store: sealed file {first[:12]}… opened "
                          f"({len(deps.files.get(first))} bytes)")
        for table in ("users", "filings", "declarations", "gate_ledger", "audit_log"):
            try:
                _, count = await connections.get("default").execute_query(
                    f"SELECT count(*) AS n FROM {table}")
                report.append(f"rows in {table}: {count[0]['n']}")
            except Exception:  # a table of a later version: not this drill's concern
                pass
    finally:
        await close_db()
    return report


def run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="a database URL whose user may create and drop databases")
    parser.add_argument("--dump", help="a pg_dump -Fc file to restore (default: self-test)")
    parser.add_argument("--uploads", help="the backup's copy of DATA_DIR/uploads")
    parser.add_argument("--keep", action="store_true", help="keep the restored database")
    args = parser.parse_args()
    key = os.environ.get("BORDERPASS_DATA_KEY", "")
    if not key and args.dump:
        print("error: set BORDERPASS_DATA_KEY to the key of the backup", file=sys.stderr)
        return 2
    key = key or base64.b64encode(secrets.token_bytes(32)).decode()
    tag = secrets.token_hex(5)
    source, target = f"borderpass_restore_{tag}_src", f"borderpass_restore_{tag}"
    work = Path(tempfile.mkdtemp(prefix="borderpass-restore-"))
    made: list[str] = []
    digest = phone = None
    try:
        dump = Path(args.dump) if args.dump else work / "borderpass.dump"
        restored_dir = work / "restored"
        if not args.dump:
            asyncio.run(admin(args.admin_url, f'CREATE DATABASE "{source}"'))
            made.append(source)
            live = work / "live"
            digest = asyncio.run(make_source(with_db(args.admin_url, source), live, key))
            phone = PHONE
            # the backup: pg_dump of the database, a copy of the document store
            run(["pg_dump", "-Fc", "-f", str(dump), with_db(args.admin_url, source)])
            shutil.copytree(live / "uploads", work / "backup-uploads")
            uploads = work / "backup-uploads"
            print(f"backed up {source}: {dump.stat().st_size} bytes, uploads copied")
        else:
            uploads = Path(args.uploads) if args.uploads else None
        asyncio.run(admin(args.admin_url, f'CREATE DATABASE "{target}"'))
        made.append(target)
        run(["pg_restore", "--no-owner", "--exit-on-error", "-d",
             with_db(args.admin_url, target), str(dump)])
        if uploads is not None:
            shutil.copytree(uploads, restored_dir / "uploads")
        print(f"restored into {target}")
        for line in asyncio.run(read_back(with_db(args.admin_url, target), restored_dir, key,
                                          digest, phone)):
            print("  " + line)
        print("restore check: OK")
        return 0
    finally:
        for name in made:
            if name == target and args.keep:
                print(f"kept {target}")
                continue
            asyncio.run(admin(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
