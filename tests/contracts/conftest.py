"""The contract tests run on both back ends in every run: SQLite, and PostgreSQL.

PostgreSQL is the server named by ``BORDERPASS_TEST_DATABASE_URL`` when it is set, else a
server of the ``pgserver`` package (bundled PostgreSQL binaries, test extra) started once
for the session in a temporary directory, listening on a Unix socket only (as root it
runs under its own ``pgserver`` system user: PostgreSQL refuses root). ``db_url`` is
overridden here, parametrised by back end, so every fixture built on it (``db``, ``deps``,
``client`` …) runs each contract test twice. docs/architecture.md, "One write".
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from suite_settings import TEST_DB, pg_admin, with_db_name


async def _migrate(url: str) -> None:
    from borderpass.adapters.db import close_db, init_db

    await init_db(url)
    await close_db()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Callable[[str], str]]:
    """The URL of database ``name`` on a PostgreSQL server (given, or bundled and started),
    by name; ``postgres`` is the server's admin database."""
    if TEST_DB:
        yield lambda name: with_db_name(TEST_DB, name)
        return
    try:
        import pgserver
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.skip("PostgreSQL contract: install the test extra (pgserver) or set "
                    "BORDERPASS_TEST_DATABASE_URL")
    home = Path(tempfile.mkdtemp(prefix="borderpass-pg-"))
    server: Any = pgserver.get_server(home / "data", cleanup_mode="stop")
    info = server.get_postmaster_info()  # its socket: .s.PGSQL.5432 in socket_dir
    try:
        yield lambda name: f"postgres://postgres@/{name}?host={info.socket_dir}"
    finally:
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database of each back end for the session."""
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('contract') / 'test.sqlite3'}"
        asyncio.run(_migrate(url))
        yield url
        return
    named = request.getfixturevalue("pg_server")
    name = f"borderpass_contract_{uuid.uuid4().hex[:10]}"
    asyncio.run(pg_admin(named("postgres"), f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_migrate(named(name)))
        yield named(name)
    finally:
        asyncio.run(pg_admin(named("postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(autouse=True)
def _fresh_statements() -> Iterator[None]:
    """Forget Tortoise's prepared statements (its insert SQL, cached per connection name)
    around each test: here the ``default`` connection changes back end between tests."""
    from tortoise.backends.base import executor

    executor.EXECUTOR_CACHE.clear()
    yield
    executor.EXECUTOR_CACHE.clear()
