"""A violated constraint is known by its name on both back ends: PostgreSQL names it, SQLite
is mapped from its columns through the schema (adapters/constraints.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from borderpass.adapters.constraints import constraint_name, violates
from borderpass.models import Filing
from borderpass.services.filings import renewals

pytestmark = pytest.mark.usefixtures("db")
TABLE = "doors_constraint_probe"


@pytest.fixture
async def probe(db: str) -> AsyncIterator[str]:
    """A table with every kind of unique constraint, dropped afterwards."""
    conn = connections.get("default")
    await conn.execute_script(
        f'CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, a INT, b INT, c INT UNIQUE, d INT,'
        f' e INT, CONSTRAINT "{TABLE}_ab" UNIQUE (a, b));'
        f" CREATE UNIQUE INDEX {TABLE}_d ON {TABLE} (d) WHERE d > 0;"
        f" CREATE UNIQUE INDEX {TABLE}_e ON {TABLE} (coalesce(e, 0), b) WHERE e IS NOT NULL;")
    await conn.execute_query(f"INSERT INTO {TABLE} (id, a, b, c, d, e) VALUES (1, 1, 1, 1, 1, 1)")
    yield TABLE
    await conn.execute_script(f"DROP TABLE {TABLE}")


async def _refused(sql: str) -> IntegrityError:
    with pytest.raises(IntegrityError) as err:
        await connections.get("default").execute_query(sql)
    return err.value


@pytest.mark.parametrize(("values", "expected"), [
    ("(1, 2, 2, 2, 2, 2)", f"{TABLE}_pkey"),
    ("(2, 2, 2, 1, 2, 2)", f"{TABLE}_c_key"),  # a column declared UNIQUE
    ("(2, 1, 1, 2, 2, 2)", f"{TABLE}_ab"),  # a named table constraint
    ("(2, 2, 2, 2, 1, 2)", f"{TABLE}_d"),  # a partial unique index on a column
    ("(2, 2, 1, 2, 2, 1)", f"{TABLE}_e"),  # a unique index on an expression
])
async def test_each_kind_by_name(probe: str, values: str, expected: str) -> None:
    exc = await _refused(f"INSERT INTO {probe} (id, a, b, c, d, e) VALUES {values}")
    assert await constraint_name(exc) == expected
    assert await violates(exc, "something_else", expected)
    assert not await violates(exc, "something_else")


async def test_partial_index_is_not_hit_outside_its_rows(probe: str) -> None:
    await connections.get("default").execute_query(
        f"INSERT INTO {probe} (id, a, b, c, d, e) VALUES (2, 2, 2, 2, -1, NULL)")
    exc = await _refused(f"INSERT INTO {probe} (id, a, b, c, d, e) VALUES (3, 3, 3, 2, -1, NULL)")
    assert await constraint_name(exc) == f"{TABLE}_c_key"


async def test_not_a_constraint_error() -> None:
    assert await constraint_name(ValueError("UNIQUE constraint failed: index 'x'")) is None


async def test_the_schema_indexes_by_name(deps) -> None:
    """The filings' own indexes (migrations 0011, 0020) as the services match them."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from factories import approved_filing, driver_user

    old = await approved_filing(deps, await driver_user())
    live = dict(category=old.category, applicant_id=old.applicant_id,  # type: ignore[attr-defined]
                status="draft", data={}, sealed={}, documents={})
    await Filing.create(**live, renews_id=old.id)
    with pytest.raises(IntegrityError) as err:  # a second open renewal (filings_one_renewal)
        await Filing.create(**live, renews_id=old.id)
    assert await renewals.successor_clash(err.value)
    with pytest.raises(IntegrityError) as err:  # a correction beside it (filings_one_successor)
        await Filing.create(**live, corrects_id=old.id)
    assert await constraint_name(err.value) == renewals.ONE_SUCCESSOR_INDEX
    with pytest.raises(IntegrityError) as err:  # a second live filing of the VIN
        await Filing.create(**{**live, "status": "submitted"}, vin=old.vin)
    assert await renewals.vin_clash(err.value) is not None
    assert not await renewals.successor_clash(err.value)
