"""Hot-path reads without the query builder: a hand-written WHERE, ORM instances back.

Building a query through Tortoise costs about 0.4 ms of CPU (pypika) before the database
sees it; the requests served most often (the session's user, a filing read) skip that
and hand the rows to the model exactly as Tortoise's own executor does.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)


def _sql(model: type[Model], sql: str) -> str:
    """``sql`` with its ``{}`` markers turned into the connection's parameter marks."""
    dialect = model._meta.db.capabilities.dialect
    marks = [f"${i}" if dialect == "postgres" else "?" for i in range(1, sql.count("{}") + 1)]
    return sql.format(*marks)


async def select(model: type[M], where: str, *params: Any, order_by: str = "",
                 for_update: bool = False) -> list[M]:
    """Instances of ``model`` whose row matches ``where`` (``{}`` marks the parameters);
    ``for_update`` locks the rows on PostgreSQL (SQLite locks the whole database anyway)."""
    sql = f'SELECT * FROM "{model._meta.db_table}" WHERE {where}'
    if order_by:
        sql += f" ORDER BY {order_by}"
    if for_update and model._meta.db.capabilities.dialect == "postgres":
        sql += " FOR UPDATE"
    _, found = await model._meta.db.execute_query(_sql(model, sql), list(params))
    return [model._init_from_db(**dict(row)) for row in found]


async def first(model: type[M], where: str, *params: Any, for_update: bool = False) -> M | None:
    """The first instance matching ``where`` (by id), or None."""
    found = await select(model, where + " ORDER BY id LIMIT 1", *params, for_update=for_update)
    return found[0] if found else None


async def values(model: type[Model], sql: str, *params: Any) -> list[dict[str, Any]]:
    """Plain rows of a hand-written query on ``model``'s connection (``{}`` marks)."""
    _, found = await model._meta.db.execute_query(_sql(model, sql), list(params))
    return [dict(row) for row in found]


async def execute(model: type[Model], sql: str, *params: Any) -> int:
    """Run a hand-written UPDATE or DELETE on ``model``'s connection; rows changed."""
    changed, _ = await model._meta.db.execute_query(_sql(model, sql), list(params))
    return int(changed)


def insert_sql(model: type[M], when: str = "", **values: Any) -> tuple[M, str, list[Any]]:
    """The instance and the ``INSERT … SELECT`` (``{}`` marks) that creates its row, to run
    alone or inside a larger statement; ``when`` is an optional SQL condition on the insert.
    Values go through the fields exactly as Tortoise's own insert does (enums, dates,
    defaults, ``auto_now_add``); a generated key is left to the database unless given."""
    instance = model(**values)
    meta = model._meta
    columns = [(name, column) for name, column in meta.fields_db_projection.items()
               if not (name == meta.pk_attr and meta.fields_map[name].generated
                       and name not in values)]
    params = [meta.fields_map[name].to_db_value(getattr(instance, name), instance)
              for name, _ in columns]
    marks = ", ".join("{}" for _ in columns)
    sql = f'INSERT INTO "{meta.db_table}" ({", ".join(c for _, c in columns)}) SELECT {marks}'
    return instance, sql + (f" WHERE {when}" if when else ""), params


async def insert(model: type[M], **values: Any) -> M:
    """Create one row with a hand-written ``INSERT`` (a hot write path); the instance back,
    its key set. No signals are sent."""
    instance, sql, params = insert_sql(model, **values)
    meta = model._meta
    postgres = meta.db.capabilities.dialect == "postgres"
    if postgres:
        sql += f" RETURNING {meta.db_pk_column}"
    result = await meta.db.execute_insert(_sql(model, sql), params)  # SQLite: the row id
    setattr(instance, meta.pk_attr, result[0] if postgres else result)
    instance._saved_in_db = True
    return instance
