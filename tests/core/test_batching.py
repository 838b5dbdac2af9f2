"""Requests of one loop turn share a batch; each still gets its own answer or error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.exceptions import ResponseError

from borderpass.adapters.batching import Coalescer
from borderpass.adapters.kv import ScriptBatch


class Recorder:
    """A batch runner that doubles numbers and refuses negative ones."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def __call__(self, numbers: list[int]) -> list[int | BaseException]:
        self.batches.append(numbers)
        await asyncio.sleep(0)
        return [ValueError(n) if n < 0 else 2 * n for n in numbers]


async def test_requests_of_one_turn_run_as_one_batch_in_order() -> None:
    run = Recorder()
    batch = Coalescer(run)
    assert await asyncio.gather(*(batch(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert run.batches == [[0, 1, 2, 3, 4]]
    assert await batch(7) == 14  # a later turn: a batch of its own
    assert run.batches[-1] == [7]


async def test_a_failed_request_fails_alone() -> None:
    batch = Coalescer(Recorder())
    answers = await asyncio.gather(batch(1), batch(-1), batch(2), return_exceptions=True)
    assert answers[0] == 2 and answers[2] == 4
    assert isinstance(answers[1], ValueError)


async def test_a_failed_batch_fails_every_request_and_the_next_batch_works() -> None:
    calls = 0

    async def broken_once(numbers: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("down")
        return numbers

    batch = Coalescer(broken_once)
    answers = await asyncio.gather(batch(1), batch(2), return_exceptions=True)
    assert all(isinstance(a, ConnectionError) for a in answers)
    assert await batch(3) == 3


async def test_a_batch_is_cut_at_its_limit() -> None:
    run = Recorder()
    batch = Coalescer(run, limit=3)
    assert await asyncio.gather(*(batch(n) for n in range(7))) == [0, 2, 4, 6, 8, 10, 12]
    assert sorted(len(b) for b in run.batches) == [1, 3, 3]


async def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    batch = Coalescer(Recorder())
    first = asyncio.ensure_future(batch(1))
    second = asyncio.ensure_future(batch(2))
    await asyncio.sleep(0)  # both joined the batch
    first.cancel()
    assert await second == 4
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_a_batch_of_one_is_run_by_its_caller_without_a_task() -> None:
    run = Recorder()
    batch = Coalescer(run)
    tasks_before = len(asyncio.all_tasks())
    seen: list[int] = []

    async def spy(numbers: list[int]) -> list[int | BaseException]:
        seen.append(len(asyncio.all_tasks()))
        return await run(numbers)

    batch._run = spy  # type: ignore[assignment]
    assert await batch(5) == 10 and seen == [tasks_before]
    with pytest.raises(ValueError):
        await batch(-5)  # its own error, raised in its caller


async def test_with_one_batch_in_flight_the_next_gathers_until_it_returns() -> None:
    release = asyncio.Event()
    batches: list[list[int]] = []

    async def slow(numbers: list[int]) -> list[int]:
        batches.append(numbers)
        await release.wait()
        return numbers

    batch = Coalescer(slow, in_flight=1)
    first = asyncio.ensure_future(batch(0))
    for _ in range(3):
        await asyncio.sleep(0)  # the first batch is now in flight
    later = [asyncio.ensure_future(batch(n)) for n in range(1, 4)]
    for _ in range(3):
        await asyncio.sleep(0)  # joining, one turn after another
    more = [asyncio.ensure_future(batch(n)) for n in range(4, 6)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert batches == [[0]]  # nothing else starts while one is in flight
    release.set()
    assert await asyncio.gather(first, *later, *more) == [0, 1, 2, 3, 4, 5]
    assert batches == [[0], [1, 2, 3, 4, 5]]


async def test_a_small_batch_waits_its_turn_and_a_big_one_overlaps() -> None:
    # Light load: batches take turns (fewer commits); heavy load: they overlap.
    releases = [asyncio.Event() for _ in range(3)]
    batches: list[list[int]] = []

    async def slow(numbers: list[int]) -> list[int]:
        batches.append(numbers)
        await releases[len(batches) - 1].wait()
        return numbers

    async def turns(n: int = 3) -> None:
        for _ in range(n):
            await asyncio.sleep(0)

    batch = Coalescer(slow, in_flight=2, overlap_at=3)
    first = asyncio.ensure_future(batch(0))
    await turns()
    small = [asyncio.ensure_future(batch(n)) for n in (1, 2)]
    await turns()
    assert batches == [[0]]  # two requests wait for the running batch
    big = asyncio.ensure_future(batch(3))
    await turns()
    assert batches == [[0], [1, 2, 3]]  # the third makes it big enough to overlap
    late = asyncio.ensure_future(batch(4))
    await turns()
    assert batches == [[0], [1, 2, 3]]  # two in flight: the next gathers, whatever its size
    releases[0].set()
    assert await first == 0
    await turns()
    assert batches == [[0], [1, 2, 3]]  # one still runs and the next is small: it waits
    releases[1].set()
    assert await asyncio.gather(*small, big) == [1, 2, 3]
    await turns()
    assert batches == [[0], [1, 2, 3], [4]]  # nothing running: a batch of one starts
    releases[2].set()
    assert await late == 4


async def test_a_patient_request_rides_with_the_next_batch() -> None:
    run = Recorder()
    batch = Coalescer(run)
    acks = [asyncio.ensure_future(batch(n, patience=5.0)) for n in (1, 2)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert run.batches == []  # in line, not leading
    assert await batch(3) == 6  # the next request leads, the line rides in arrival order
    assert await asyncio.gather(*acks) == [2, 4]
    assert run.batches == [[1, 2, 3]]


async def test_a_patient_request_joins_a_gathering_batch_at_once() -> None:
    run = Recorder()
    batch = Coalescer(run)
    assert await asyncio.gather(batch(1), batch(2, patience=5.0)) == [2, 4]
    assert run.batches == [[1, 2]]


async def test_patient_requests_alone_lead_after_their_patience() -> None:
    run = Recorder()
    batch = Coalescer(run, in_flight=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    answers = await asyncio.gather(batch(1, patience=0.02), batch(-1, patience=0.02),
                                   return_exceptions=True)
    assert answers[0] == 2 and isinstance(answers[1], ValueError)
    assert loop.time() - started >= 0.019
    assert run.batches == [[1, -1]]  # one batch for the line, each its own answer
    assert await batch(4, patience=0.01) == 8  # the slot was given back


async def test_a_cancelled_patient_request_leaves_the_line() -> None:
    run = Recorder()
    batch = Coalescer(run)
    gone = asyncio.ensure_future(batch(1, patience=5.0))
    kept = asyncio.ensure_future(batch(2, patience=5.0))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    assert await batch(3) == 6 and await kept == 4
    assert run.batches == [[2, 3]]


async def test_a_runner_that_answers_the_wrong_number_fails_the_batch() -> None:
    async def short(numbers: list[int]) -> list[int]:
        return numbers[:-1]

    batch = Coalescer(short)
    answers = await asyncio.gather(batch(1), batch(2), return_exceptions=True)
    assert all(isinstance(a, RuntimeError) for a in answers)


INCR = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
FAIL = "return redis.error_reply('refused ' .. ARGV[1])"


async def test_scripts_of_one_turn_share_a_pipeline(redis: Any, monkeypatch) -> None:
    scripts = ScriptBatch(redis)
    incr, fail = redis.register_script(INCR), redis.register_script(FAIL)
    await incr(keys=["n"], args=[0])  # loaded
    pipelines = 0
    real = redis.pipeline

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal pipelines
        pipelines += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(redis, "pipeline", counted)
    answers = await asyncio.gather(scripts(incr, ["n"], [1]), scripts(fail, [], ["x"]),
                                   scripts(incr, ["n"], [10]), return_exceptions=True)
    assert answers[0] == 1 and answers[2] == 11 and pipelines == 1
    assert isinstance(answers[1], ResponseError) and "refused x" in str(answers[1])
    with pytest.raises(ResponseError):
        await scripts(fail, [], ["alone"])  # a batch of one: a plain EVALSHA


async def test_scripts_redis_forgot_are_loaded_again(redis: Any) -> None:
    scripts = ScriptBatch(redis)
    incr = redis.register_script(INCR)
    await redis.script_flush()
    assert await asyncio.gather(scripts(incr, ["m"], [2]), scripts(incr, ["m"], [3])) == [2, 5]
    await redis.script_flush()
    assert await scripts(incr, ["m"], [1]) == 6
