"""The audit trail is tamper-evident (R-U7): each row carries the previous row's hash,
concurrent appends keep one chain, ``borderpass audit verify`` names the first broken row,
and the database keeps rows: no update of a chained row, no deletion younger than 6 months
(PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise import connections

from borderpass.app.cli import main
from borderpass.models import AuditEvent
from borderpass.models.enums import Role
from borderpass.services import audit, clock

pytestmark = pytest.mark.usefixtures("db")


def _postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


async def _sql(sql: str) -> None:
    await connections.get("default").execute_script(sql)


async def _unguarded(sql: str) -> None:
    """Run ``sql`` as an intruder with the table owner's rights would: guards switched off."""
    if _postgres():
        await _sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard;"
                   f"{sql}; ALTER TABLE audit_events ENABLE TRIGGER audit_events_guard")
    else:
        await _sql(f"DROP TRIGGER audit_events_no_update; {sql}; CREATE TRIGGER "
                   "audit_events_no_update BEFORE UPDATE ON audit_events WHEN OLD.row_hash "
                   "IS NOT NULL BEGIN SELECT RAISE(ABORT, 'audit_events are append-only'); END")


async def _append(n: int) -> None:
    from factories import staff

    actor = await staff(Role.REVIEWER)
    await asyncio.gather(*(audit.record(actor, "reveal", "filing", i, ["drivers[0].phone"],
                                        need="review", purpose=f"核对 {i}")
                           for i in range(n)))


async def test_concurrent_appends_keep_one_chain() -> None:
    await _append(40)
    rows = await AuditEvent.all().order_by("id")
    assert len(rows) == 40
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(rows))
    assert len({r.prev_hash for r in rows}) == 40  # no two rows claim the same parent: no fork
    verdict = await audit.verify()
    assert verdict.ok and verdict.checked == 40 and verdict.head == rows[-1].row_hash


async def test_review_decisions_are_chained_audit_rows(deps) -> None:  # R-U7, R-F6
    from factories import approved_filing, driver_user

    filing = await approved_filing(deps, await driver_user())
    event = await AuditEvent.get(action="update", subject_type="filing")
    assert (event.subject_id, event.field_names, event.detail) == (
        filing.id, ["status"], {"decision": "approved"})
    assert event.actor_id == filing.reviewer_id  # type: ignore[attr-defined]
    assert (await audit.verify()).ok


async def test_verify_names_an_edited_row() -> None:
    await _append(5)
    rows = await AuditEvent.all().order_by("id")
    target = rows[2]
    await _unguarded("UPDATE audit_events SET detail = '{\"need\": \"review\", \"purpose\": "
                     f"\"changed\"}}' WHERE id = {target.id}")
    verdict = await audit.verify()
    assert (verdict.broken_id, verdict.problem, verdict.checked) == (target.id, "hash", 2)


async def test_verify_names_the_row_after_a_deleted_one() -> None:
    await _append(5)
    rows = await AuditEvent.all().order_by("id")
    await _unguarded(f"DELETE FROM audit_events WHERE id = {rows[1].id}")
    verdict = await audit.verify()
    assert (verdict.broken_id, verdict.problem) == (rows[2].id, "link")


async def test_verify_names_a_row_whose_hash_was_removed() -> None:
    await _append(3)
    rows = await AuditEvent.all().order_by("id")
    await _unguarded(f"UPDATE audit_events SET row_hash = NULL WHERE id = {rows[0].id}")
    verdict = await audit.verify()
    assert (verdict.broken_id, verdict.problem) == (rows[0].id, "unchained")
    await audit.record(None, "read", "filing", 1)  # an append does not paper over it
    assert (await audit.verify()).broken_id == rows[0].id


async def test_rows_from_before_the_chain_are_chained_once() -> None:
    await _sql("INSERT INTO audit_events (action, subject_type, subject_id, field_names, "
               "detail, at) VALUES ('read', 'filing', 7, '[]', '{}', '2026-01-02 03:04:05+00:00')")
    await audit.record(None, "read", "filing", 8)
    rows = await AuditEvent.all().order_by("id")
    assert rows[0].prev_hash == audit.GENESIS and rows[1].prev_hash == rows[0].row_hash
    assert (await audit.verify()).ok


async def test_database_refuses_to_change_or_drop_young_rows() -> None:
    await _append(2)
    first = await AuditEvent.all().order_by("id").first()
    assert first is not None
    with pytest.raises(Exception, match="append-only"):
        await _sql(f"UPDATE audit_events SET action = 'x' WHERE id = {first.id}")
    if _postgres():  # R-U7: kept at least 6 months
        with pytest.raises(Exception, match="183 days"):
            await _sql(f"DELETE FROM audit_events WHERE id = {first.id}")
        clock.freeze(clock.now() - timedelta(days=200))
        try:
            await audit.record(None, "read", "filing", 1)
        finally:
            clock.freeze(None)
        old = await AuditEvent.all().order_by("-id").first()
        assert old is not None
        await _sql(f"DELETE FROM audit_events WHERE id = {old.id}")  # past retention: allowed
    assert await AuditEvent.filter(id=first.id).exists()


def test_cli_verify_names_the_first_broken_row(db_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from borderpass.adapters.db import close_db, init_db

    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BORDERPASS_DATABASE_URL", db_url)

    async def in_db(step: str) -> int:
        await init_db(db_url, apply_migrations=False)
        try:
            if step == "append":
                for i in range(3):
                    await audit.record(None, "read", "document", i, ["image"], kind="photo_side")
                return 0
            target = (await AuditEvent.all().order_by("id"))[1].id
            await _unguarded(f"UPDATE audit_events SET subject_id = 99 WHERE id = {target}")
            return target
        finally:
            await close_db()

    asyncio.run(in_db("append"))
    assert main(["audit", "verify"]) == 0
    assert "audit chain intact: 3 rows" in capsys.readouterr().out
    target = asyncio.run(in_db("edit"))
    assert main(["audit", "verify"]) == 1
    assert f"audit chain broken at row {target}: its content" in capsys.readouterr().out
