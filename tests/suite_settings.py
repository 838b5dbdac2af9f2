"""What the whole suite runs on: the test database and Redis it is given, the data key, the
fake mini-program, and how a test database is made beside the given one.

One module, imported by ``tests/conftest.py`` and the helpers that start their own app or
database (``conftest`` names another module in ``tests/bot``, so helpers cannot import it).
"""

from __future__ import annotations

import os

TEST_DB = os.environ.get("BORDERPASS_TEST_DATABASE_URL", "")
TEST_REDIS = os.environ.get("BORDERPASS_TEST_REDIS_URL", "")
TEST_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, tests only
MINIAPP_APPID, MINIAPP_SECRET = "wxtestminiapp", "test-miniapp-secret"


async def pg_admin(url: str, sql: str) -> None:
    """Run one statement on the PostgreSQL server (create or drop a test database)."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def with_db_name(url: str, name: str) -> str:
    """``url`` naming the database ``name`` on the same server."""
    return f"{url.rpartition('/')[0]}/{name}"
