"""The OCR process pool: bounded queue, time limit with recovery, crash recovery, real reads.

The jobs and the engine factory below are module-level so spawned workers can import
them by reference; most tests use a trivial engine so they run in seconds.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ocr_helpers import SAMPLES_MISSING, samples_dir

from borderpass.core.errors import FieldError, Unavailable
from borderpass.ocr.engine import TextLine
from borderpass.ocr.pool import OcrPool

FOUND = samples_dir()
SAMPLES = FOUND or Path(__file__).resolve().parents[2].parent / "shared" / "ocr-samples"


class _NullEngine:
    name = "null"

    def read(self, image: np.ndarray) -> list[TextLine]:
        return []


def null_factory(name: str, **options: Any) -> _NullEngine:
    """Stands in for make_engine in the workers."""
    return _NullEngine()


def broken_factory(name: str, **options: Any) -> _NullEngine:
    raise RuntimeError("no engine here")


def echo_job(engine: Any, kind: str, data: bytes) -> dict[str, Any]:
    """Behaves by ``kind``: sleep, die, hang, refuse, fail, or answer."""
    if kind == "sleep":
        time.sleep(float(data.decode()))
    elif kind == "die":
        os._exit(3)  # a worker killed mid-job, as by a segfault or the OOM killer
    elif kind == "hang":
        while True:
            time.sleep(1)
    elif kind == "refuse":
        raise FieldError("image_corrupt", "file")
    elif kind == "fail":
        raise ValueError("engine blew up")
    return {"kind": kind, "pid": os.getpid(), "engine": engine.name}


def _pool(**overrides: Any) -> OcrPool:
    options: dict[str, Any] = {
        "workers": 1,
        "max_queue": 1,
        "job_timeout": 3.0,
        "engine_factory": null_factory,
        "job": echo_job,
    }
    options.update(overrides)
    return OcrPool("rapidocr", **options)


@pytest.fixture
async def pool() -> AsyncIterator[OcrPool]:
    pool = _pool()
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


async def test_answers_from_a_worker_process(pool: OcrPool) -> None:
    answer = await pool.read("ok", b"")
    assert answer["engine"] == "null" and answer["pid"] != os.getpid()


async def test_jobs_are_timed_and_the_queue_counted(pool: OcrPool) -> None:
    """Prometheus: the OCR queue (running or waiting) and each job's time by outcome."""
    from prometheus_client import REGISTRY

    def seconds(outcome: str) -> float:
        return REGISTRY.get_sample_value("borderpass_ocr_job_seconds_count",
                                         {"outcome": outcome}) or 0.0

    ok, error = seconds("ok"), seconds("error")
    job = asyncio.create_task(pool.read("sleep", b"0.5"))
    await asyncio.sleep(0.2)
    assert REGISTRY.get_sample_value("borderpass_ocr_jobs_pending") == 1
    await job
    with pytest.raises(FieldError):
        await pool.read("refuse", b"")
    assert REGISTRY.get_sample_value("borderpass_ocr_jobs_pending") == 0
    assert (seconds("ok") - ok, seconds("error") - error) == (1, 1)


async def test_full_queue_answers_busy_at_once(pool: OcrPool) -> None:
    running = [asyncio.create_task(pool.read("sleep", b"1.5")) for _ in range(2)]
    await asyncio.sleep(0.2)  # one job running, one waiting: the queue (1) is full
    started = time.perf_counter()
    with pytest.raises(Unavailable) as info:
        await pool.read("ok", b"")
    assert info.value.code == "ocr_busy" and info.value.retry_after >= 1
    assert time.perf_counter() - started < 0.5
    assert [r["kind"] for r in await asyncio.gather(*running)] == ["sleep", "sleep"]
    assert (await pool.read("ok", b""))["kind"] == "ok"


async def test_a_hung_job_times_out_and_the_pool_recovers(pool: OcrPool) -> None:
    first = (await pool.read("ok", b""))["pid"]
    started = time.perf_counter()
    with pytest.raises(Unavailable) as info:
        await pool.read("hang", b"")
    assert info.value.code == "ocr_timeout"
    assert time.perf_counter() - started < 3.0 + 2.0
    answer = await pool.read("ok", b"")
    assert answer["kind"] == "ok" and answer["pid"] != first  # a fresh worker


async def test_a_crashed_worker_is_replaced(pool: OcrPool) -> None:
    with pytest.raises(Unavailable) as info:
        await pool.read("die", b"")
    assert info.value.code == "ocr_crashed"
    assert (await pool.read("ok", b""))["kind"] == "ok"


async def test_jobs_beside_a_crash_are_retried() -> None:
    pool = _pool(workers=2, max_queue=2)
    await pool.start()
    try:
        bystander = asyncio.create_task(pool.read("sleep", b"1.0"))
        await asyncio.sleep(0.3)
        with pytest.raises(Unavailable):
            await pool.read("die", b"")
        assert (await bystander)["kind"] == "sleep"
    finally:
        await pool.close()


async def test_domain_errors_cross_the_process_boundary(pool: OcrPool) -> None:
    with pytest.raises(FieldError) as info:
        await pool.read("refuse", b"")
    assert (info.value.code, info.value.field) == ("image_corrupt", "file")
    with pytest.raises(Unavailable) as failed:
        await pool.read("fail", b"")
    assert failed.value.code == "ocr_failed"
    assert (await pool.read("ok", b""))["kind"] == "ok"


async def test_an_engine_that_cannot_start_is_unavailable() -> None:
    pool = _pool(engine_factory=broken_factory, start_timeout=60.0)
    with pytest.raises(Unavailable) as info:
        await pool.start()
    assert info.value.code == "ocr_unavailable"
    await pool.close()


async def test_closed_pool_refuses() -> None:
    pool = _pool()
    await pool.start()
    await pool.close()
    with pytest.raises(Unavailable):
        await pool.read("ok", b"")


@pytest.mark.skipif(FOUND is None, reason=SAMPLES_MISSING)
async def test_real_engine_reads_a_photo_and_refuses_junk() -> None:
    pool = OcrPool("rapidocr", workers=1, max_queue=2, job_timeout=60.0)
    await pool.start()
    try:
        answer = await pool.read("vin_plate", (SAMPLES / "vin_plate_clean_s0.jpg").read_bytes())
        assert answer["kind"] == "vin_plate"
        assert answer["fields"]["vin"]["value"]
        for junk, code in (
            (b"", "image_empty"),
            (b"hello", "image_type"),
            (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image_corrupt"),
        ):
            with pytest.raises(FieldError) as info:
                await pool.read("vin_plate", junk)
            assert info.value.code == code
    finally:
        await pool.close()
