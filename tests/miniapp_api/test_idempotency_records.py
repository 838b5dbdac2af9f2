"""Idempotent answers kept in the database with the write (issue 17, item 5)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from api_helpers import approved_filing_id

from borderpass.models import Declaration, IdempotencyRecord
from borderpass.services import clock, idempotency, sweeps
from borderpass.services.crossings import declarations

pytestmark = pytest.mark.usefixtures("db")
URL = "/api/v1/declarations"


async def _exit_body(caller, filing_id: int) -> dict:
    _, filing = await caller.call("GET", f"/api/v1/filings/{filing_id}")
    return {"filing_id": filing_id, "driver_id": filing["drivers"][0]["id"],
            "direction": "exit", "port": "ruili"}


async def test_answer_survives_redis_loss(login, staff_login, redis) -> None:  # R-F7
    alice, reviewer = await login(), await staff_login("reviewer")
    body = await _exit_body(alice, await approved_filing_id(alice, reviewer))
    headers = {"Idempotency-Key": "exit-1"}
    status, first = await alice.call("POST", URL, json=body, headers=headers)
    assert status == 201
    for key in await redis.keys("*"):  # Redis restarted without data, the session aside
        if not key.startswith(b"session"):
            await redis.delete(key)
    # the answer was lost on the way: the retry gets the first 201, not 409 trip_open
    resp = await alice.client.post(URL, json=body, headers=alice.headers | headers)
    assert resp.status == 201 and resp.headers["Idempotent-Replayed"] == "true"
    assert (await resp.json()) == first
    assert await Declaration.all().count() == 1


async def test_failed_request_releases_its_key_at_once(login, staff_login, monkeypatch) -> None:
    alice, reviewer = await login(), await staff_login("reviewer")
    body = await _exit_body(alice, await approved_filing_id(alice, reviewer))
    headers = {"Idempotency-Key": "exit-2"}
    real = declarations.outbox.enqueue

    async def broken(*args, **kwargs):  # the write ran, then the database failed
        from tortoise.exceptions import DBConnectionError

        raise DBConnectionError("database went away")

    monkeypatch.setattr(declarations.outbox, "enqueue", broken)
    monkeypatch.setattr(declarations, "_write_at_once", _via_transaction)
    status, _ = await alice.call("POST", URL, json=body, headers=headers)
    assert status == 503  # an outage, never a 500
    assert await Declaration.all().count() == 0  # the write rolled back with its claim
    assert await IdempotencyRecord.all().count() == 0
    monkeypatch.setattr(declarations.outbox, "enqueue", real)
    status, made = await alice.call("POST", URL, json=body, headers=headers)  # no lock left
    assert status == 201
    status, again = await alice.call("POST", URL, json=body, headers=headers)
    assert status == 201 and again == made and await Declaration.all().count() == 1


async def _via_transaction(declaration_id, values, locale):
    """PostgreSQL's one-statement write, replaced by the step-by-step one so a step can fail
    between the declaration and its message."""
    return await declarations._write_in_transaction(values, locale)


async def test_refused_request_keeps_no_answer(login, staff_login) -> None:
    alice = await login()
    headers = {"Idempotency-Key": "refused"}
    status, err = await alice.call("POST", URL, json={"filing_id": 999, "driver_id": 1,
                                                      "direction": "exit", "port": "ruili"},
                                   headers=headers)
    assert status == 422 and err["error"]["field"] == "filing_id"
    assert await IdempotencyRecord.all().count() == 0


async def test_concurrent_twins_run_once(login, staff_login) -> None:  # R-F7
    alice, reviewer = await login(), await staff_login("reviewer")
    body = await _exit_body(alice, await approved_filing_id(alice, reviewer))
    headers = {"Idempotency-Key": "twins"}
    results = await asyncio.gather(*(alice.call("POST", URL, json=body, headers=headers)
                                     for _ in range(6)))
    answers = [b for s, b in results if s == 201]
    assert answers and all(a == answers[0] for a in answers)
    for status, answer in results:
        assert status == 201 or (status == 409 and answer["error"]["code"]
                                 == "idempotency_in_progress"), answer
    assert await Declaration.all().count() == 1


async def test_records_expire_after_a_day(login, staff_login) -> None:
    alice = await login()
    headers = {"Idempotency-Key": "old"}
    status, first = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                                     headers=headers)
    assert status == 201 and await IdempotencyRecord.all().count() == 1
    clock.freeze(clock.now() + idempotency.KEEP + timedelta(minutes=1))
    assert await idempotency.sweep_expired() == 1
    status, second = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                                      headers=headers)
    assert status == 201 and second["id"] != first["id"]  # a day on, the key is new again


async def test_expired_record_unswept_is_not_replayed(login) -> None:
    alice = await login()
    headers = {"Idempotency-Key": "stale"}
    _, first = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                                headers=headers)
    clock.freeze(clock.now() + idempotency.KEEP + timedelta(seconds=1))
    status, second = await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                                      headers=headers)
    assert status == 201 and second["id"] != first["id"]
    assert await IdempotencyRecord.all().count() == 1


async def test_sweeps_delete_expired_records(login, deps) -> None:
    alice = await login()
    await alice.call("POST", "/api/v1/filings", json={"category": "personal"},
                     headers={"Idempotency-Key": "swept"})
    clock.freeze(clock.now() + idempotency.KEEP + timedelta(hours=1))
    result = await sweeps.run_sweeps(deps)
    assert result is not None and result["idempotency_expired"] == 1
