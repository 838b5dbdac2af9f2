"""Which constraint a database refused a write on, by name, on PostgreSQL and SQLite.

Services recognise a violation by the constraint's name (``filings_one_live_vin``), never
by the error's text. PostgreSQL names it (asyncpg's ``constraint_name``). SQLite names
only an index on expressions (``UNIQUE constraint failed: index 'x'``) and a named CHECK;
otherwise it lists the table's columns (``UNIQUE constraint failed: filings.renews_id``),
which are mapped to a name through the schema, deterministically:

- a ``CREATE UNIQUE INDEX`` on exactly those columns: the index's name (several: the
  first by name);
- a ``CONSTRAINT "name" UNIQUE (…)`` in the table's definition (Tortoise's
  ``unique_together``): that name;
- a column declared ``UNIQUE``: PostgreSQL's default name, ``{table}_{columns}_key``;
- the primary key: ``{table}_pkey``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

_SQLITE_INDEX = re.compile(r"constraint failed: index '([^']+)'")
_SQLITE_COLUMNS = re.compile(r"UNIQUE constraint failed: ((?:[\w\"]+\.[\w\"]+(?:, )?)+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)$")
_TABLE_UNIQUE = re.compile(r'CONSTRAINT\s+"?(\w+)"?\s+UNIQUE\s*\(([^)]*)\)', re.IGNORECASE)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: Tortoise wraps the driver's error as its first argument
    (and as its cause), sometimes twice."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        first = item.args[0] if item.args else None
        todo += [first if isinstance(first, BaseException) else None,
                 item.__cause__, item.__context__]


async def constraint_name(exc: BaseException,
                          conn: BaseDBAsyncClient | None = None) -> str | None:
    """The name of the constraint ``exc`` reports as violated, else None (a foreign key on
    SQLite, which names nothing; not a constraint error at all)."""
    for cause in _causes(exc):
        name = getattr(cause, "constraint_name", None)  # asyncpg
        if isinstance(name, str) and name:
            return name
        if isinstance(cause, sqlite3.IntegrityError):
            return await _sqlite_name(str(cause), conn or connections.get("default"))
    return None


async def violates(exc: BaseException, *names: str) -> bool:
    """True when ``exc`` is a violation of one of the constraints ``names``."""
    return await constraint_name(exc) in names


async def _sqlite_name(message: str, conn: BaseDBAsyncClient) -> str | None:
    if found := _SQLITE_INDEX.search(message) or _SQLITE_CHECK.search(message):
        return found.group(1)
    if (listed := _SQLITE_COLUMNS.search(message)) is None:
        return None
    pairs = [part.replace('"', "").split(".", 1) for part in listed.group(1).split(", ")]
    table, columns = pairs[0][0], [column for _, column in pairs]
    return await _named_by_columns(conn, table, columns)


async def _rows(conn: BaseDBAsyncClient, sql: str) -> list[dict[str, Any]]:
    return [dict(row) for row in (await conn.execute_query(sql))[1]]


async def _named_by_columns(conn: BaseDBAsyncClient, table: str,
                            columns: list[str]) -> str | None:
    """The name of the unique constraint of ``table`` on exactly ``columns`` (see above)."""
    quoted = table.replace('"', '""')
    indexes = await _rows(conn, f'PRAGMA index_list("{quoted}")')
    created: list[str] = []
    origins: set[str] = set()
    for index in indexes:
        if not index["unique"]:
            continue
        name = str(index["name"]).replace('"', '""')
        on = [row["name"] for row in await _rows(conn, f'PRAGMA index_info("{name}")')]
        if on != columns:
            continue
        if index["origin"] == "c":
            created.append(str(index["name"]))
        origins.add(str(index["origin"]))
    if created:
        return sorted(created)[0]
    if "u" in origins:
        return await _table_constraint(conn, table, columns) \
            or f"{table}_{'_'.join(columns)}_key"
    if "pk" in origins or await _primary_key(conn, quoted) == columns:  # rowid: no index
        return f"{table}_pkey"
    return None


async def _primary_key(conn: BaseDBAsyncClient, quoted: str) -> list[str]:
    info = await _rows(conn, f'PRAGMA table_info("{quoted}")')
    return [row["name"] for row in sorted(info, key=lambda r: r["pk"]) if row["pk"]]


async def _table_constraint(conn: BaseDBAsyncClient, table: str,
                            columns: list[str]) -> str | None:
    """A ``CONSTRAINT "name" UNIQUE (…)`` on ``columns`` in the table's definition."""
    rows = await conn.execute_query(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
    sql = str(rows[1][0]["sql"]) if rows[1] else ""
    for name, listed in _TABLE_UNIQUE.findall(sql):
        if [c.strip().strip('"`') for c in listed.split(",")] == columns:
            return str(name)
    return None
