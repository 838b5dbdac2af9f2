"""The one place a hand-written statement is spelled differently on PostgreSQL and SQLite.

A hot write is one SQL text for both back ends (SQLite >= 3.35 has RETURNING, ON CONFLICT,
UPDATE … FROM and the JSON functions); what the two spell differently is named here and
nowhere else: the parameter marks and their casts, and a JSON array read as rows (the
batch of a write travels as one JSON parameter). docs/architecture.md, "One write".
"""

from __future__ import annotations

from collections.abc import Mapping

from tortoise.backends.base.client import BaseDBAsyncClient

Dialect = BaseDBAsyncClient | str  # a connection, or its dialect's name


def name(db: Dialect) -> str:
    """``postgres`` or ``sqlite``."""
    return db if isinstance(db, str) else str(db.capabilities.dialect)


def postgres(db: Dialect) -> bool:
    """True on PostgreSQL."""
    return name(db) == "postgres"


def marks(db: Dialect, count: int, start: int = 1) -> list[str]:
    """``count`` parameter marks: ``$start…`` on PostgreSQL, ``?`` on SQLite."""
    if postgres(db):
        return [f"${n}" for n in range(start, start + count)]
    return ["?"] * count


def param(db: Dialect, n: int, pg_type: str = "") -> str:
    """Parameter ``n`` (1-based), typed on PostgreSQL where it cannot infer the type (in a
    SELECT list, a UNION, a function argument); SQLite's values carry their own type."""
    if postgres(db):
        return f"${n}::{pg_type}" if pg_type else f"${n}"
    return "?"


def for_update(db: Dialect) -> str:
    """The row lock of a SELECT: ``FOR UPDATE`` on PostgreSQL; nothing on SQLite, whose
    writing transaction holds the whole database."""
    return " FOR UPDATE" if postgres(db) else ""


async def transaction_lock(db: BaseDBAsyncClient, key: int) -> None:
    """Hold lock ``key`` until the transaction ends (PostgreSQL's advisory lock); on SQLite
    the writing transaction already excludes every other writer."""
    if postgres(db):
        await db.execute_query("SELECT pg_advisory_xact_lock($1)", [key])


# What a JSON value becomes in a column of each type, on SQLite (PostgreSQL's
# json_to_recordset types the columns itself). Timestamps: Tortoise stores
# ``isoformat(" ")`` on SQLite; the JSON carries ``isoformat()``.
_SQLITE_VALUE = {"timestamptz": "replace({v}, 'T', ' ')"}


def json_rows(db: Dialect, source: str, columns: Mapping[str, str], alias: str = "r") -> str:
    """A FROM item: the JSON array ``source`` (a parameter mark, or on PostgreSQL any JSON
    expression) as rows named ``alias``, one column per key of ``columns`` (name → PostgreSQL
    type: text, int, bigint, bool, jsonb, timestamptz). A missing key is NULL; a jsonb column
    must hold an object or an array (SQLite hands it on as JSON text)."""
    if postgres(db):
        typed = ", ".join(f"{column} {kind}" for column, kind in columns.items())
        return f"json_to_recordset({source}) AS {alias}({typed})"
    picked = ", ".join(
        _SQLITE_VALUE.get(kind, "{v}").format(v=f"json_extract(value, '$.{column}')")
        + f" AS {column}" for column, kind in columns.items())
    return f"(SELECT {picked} FROM json_each({source})) AS {alias}"


def json_param(db: Dialect, n: int) -> str:
    """Parameter ``n`` holding a JSON array's text, as :func:`json_rows` takes it."""
    return param(db, n, "json")


def json_list(db: Dialect, item: str, rows_sql: str, order_by: str) -> str:
    """A scalar subquery: the JSON array of ``item`` over the rows of ``rows_sql`` (named
    ``d``), in ``order_by`` order (unqualified columns); NULL when there are none on
    PostgreSQL, ``[]`` on SQLite."""
    if postgres(db):
        return f"(SELECT json_agg({item} ORDER BY {order_by}) FROM ({rows_sql}) d)"
    return f"(SELECT json_group_array({item}) FROM ({rows_sql} ORDER BY {order_by}) d)"


def json_map(db: Dialect, key: str, value: str) -> str:
    """The aggregate building a JSON object of ``key`` → ``value`` (NULL over no rows)."""
    return (f"json_object_agg({key}, {value})" if postgres(db)
            else f"json_group_object({key}, {value})")


def json_object(db: Dialect, pairs: str) -> str:
    """A JSON object of ``pairs`` (``'name', value, …``)."""
    return f"json_build_object({pairs})" if postgres(db) else f"json_object({pairs})"


def json_column(db: Dialect, column: str) -> str:
    """A JSON column as a JSON value inside :func:`json_object` (SQLite stores text)."""
    return column if postgres(db) else f"json({column})"


def next_id(db: Dialect, table: str) -> str:
    """The next key of ``table`` taken ahead of its insert (PostgreSQL's sequence), or NULL
    where the database numbers the row only when it is inserted (SQLite)."""
    return f"nextval(pg_get_serial_sequence('{table}', 'id'))" if postgres(db) else "NULL"
