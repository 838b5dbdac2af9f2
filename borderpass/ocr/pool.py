"""OCR off the event loop: a process pool with bounded concurrency, queue and time per job.

Each worker builds its engine once and warms it up. A full queue answers
``Unavailable("ocr_busy")`` at once instead of piling up; a job over its time limit, or a
worker that died, gets the pool recycled (workers killed and started afresh) so one bad
photo never wedges the service. Every failure reaches the caller as a BorderPassError.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing as mp
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from borderpass.core import metrics
from borderpass.core.errors import BorderPassError, FieldError, Unavailable
from borderpass.ocr.engine import OcrEngine
from borderpass.ocr.engines import make_engine

log = logging.getLogger(__name__)

Job = Callable[[OcrEngine, str, bytes], dict[str, Any]]
EngineFactory = Callable[..., OcrEngine]

_engine: OcrEngine | None = None  # the engine of this worker process


def warm_up(engine: OcrEngine) -> None:
    """Read a small drawn line once, so both models are loaded before the first job."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", (320, 64), "white")
    ImageDraw.Draw(canvas).text((8, 16), "BORDERPASS 2024-01-02", fill="black", font_size=24)
    engine.read(np.asarray(canvas))


def read_job(engine: OcrEngine, kind: str, data: bytes) -> dict[str, Any]:
    """The default job: decode the photo and read it as a document of ``kind``."""
    from borderpass.adapters.images import decode_rgb
    from borderpass.ocr.reader import read_document

    return read_document(kind, decode_rgb(data), engine).to_dict()


def _init_worker(factory: EngineFactory, name: str, options: Mapping[str, Any]) -> None:
    """Worker initializer: build this process's engine once and warm it up."""
    global _engine
    _engine = factory(name, **options)
    warm_up(_engine)


def _ping() -> bool:
    """A no-op job: returns once a worker has finished its initializer."""
    return _engine is not None


def _run(job: Job, kind: str, data: bytes) -> tuple[str, Any]:
    """Run one job in a worker; domain errors travel back as plain data (they pickle badly)."""
    if _engine is None:
        return ("fail", "engine not built")
    try:
        return ("ok", job(_engine, kind, data))
    except BorderPassError as exc:
        return ("error", (type(exc).__name__, exc.code, exc.field, exc.params))
    except Exception as exc:  # an engine failure must not kill the worker
        log.exception("OCR job failed")
        return ("fail", f"{type(exc).__name__}: {exc}")


def _domain_error(
    kind: str, code: str, field: str | None, params: dict[str, Any]
) -> BorderPassError:
    """Rebuild a worker's domain error in this process."""
    if kind == "Unavailable":
        return Unavailable(code, **params)
    if kind == "FieldError":
        return FieldError(code, field, **params)
    return BorderPassError(code, field, **params)


class OcrPool:
    """A pool of OCR worker processes with a bounded queue and a time limit per job."""

    def __init__(
        self,
        engine_name: str = "rapidocr",
        workers: int = 1,
        max_queue: int = 8,
        job_timeout: float = 20.0,
        *,
        engine_options: Mapping[str, Any] | None = None,
        engine_factory: EngineFactory = make_engine,
        job: Job = read_job,
        start_timeout: float = 180.0,
    ) -> None:
        self.engine_name = engine_name
        self.workers = max(1, workers)
        self.max_queue = max(0, max_queue)
        self.job_timeout = job_timeout
        self.start_timeout = start_timeout
        self._options = dict(engine_options or {})
        self._factory = engine_factory
        self._job = job
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(self.workers)
        self._suspects = asyncio.Lock()
        self._pending = 0
        self._closed = False
        self._avg_seconds = 1.0

    async def start(self) -> None:
        """Start the workers and wait until every one has built and warmed its engine."""
        self._closed = False
        await self._ensure_pool()

    async def close(self) -> None:
        """Stop the workers (a running job is killed, not awaited)."""
        self._closed = True
        async with self._lock:
            self._kill(self._executor)
            self._executor = None

    @property
    def closed(self) -> bool:
        """Closed for good (the app is stopping): reads answer ``ocr_unavailable``."""
        return self._closed

    @property
    def pending(self) -> int:
        """Jobs running or waiting."""
        return self._pending

    async def read(self, kind: str, image_bytes: bytes) -> dict[str, Any]:
        """Read one photo of ``kind``: ``read_document(...).to_dict()`` from a worker."""
        if self._closed:
            raise Unavailable("ocr_unavailable", retry_after=5)
        if self._pending >= self.workers + self.max_queue:
            raise Unavailable("ocr_busy", retry_after=self._retry_after())
        self._pending += 1
        metrics.OCR_QUEUE.inc()
        started, outcome = time.perf_counter(), "error"
        try:
            async with self._slots:
                result = await self._attempt(kind, image_bytes)
            outcome = "ok"
            return result
        finally:
            self._pending -= 1
            metrics.OCR_QUEUE.dec()
            metrics.OCR_SECONDS.labels(outcome).observe(time.perf_counter() - started)

    def _retry_after(self) -> int:
        """Seconds until the queue has likely drained: a hint for Retry-After."""
        return max(1, math.ceil(self._pending * self._avg_seconds / self.workers))

    async def _attempt(self, kind: str, data: bytes) -> dict[str, Any]:
        """Run the job; if a worker died under it, once more, alone with the other suspects.

        Which job killed a worker is unknown, so every job on the broken pool is retried,
        one at a time: a job that kills its worker again fails alone, the others go through.
        """
        try:
            return await self._submit(kind, data)
        except BrokenProcessPool:
            pass
        async with self._suspects:
            try:
                return await self._submit(kind, data)
            except BrokenProcessPool as exc:
                raise Unavailable("ocr_crashed", retry_after=self._retry_after()) from exc

    async def _submit(self, kind: str, data: bytes) -> dict[str, Any]:
        """One run of the job on the current pool, within the time limit."""
        executor, generation = await self._ensure_pool()
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            future = executor.submit(_run, self._job, kind, data)
            status, value = await asyncio.wait_for(asyncio.wrap_future(future),
                                                   self.job_timeout)
        except TimeoutError as exc:
            log.warning("OCR job over %.1f s; recycling the pool", self.job_timeout)
            await self._recycle(generation)
            raise Unavailable("ocr_timeout", retry_after=self._retry_after()) from exc
        except (BrokenProcessPool, RuntimeError) as exc:
            # RuntimeError: submit() on a pool being shut down by a recycle.
            log.warning("OCR worker died (%s); recycling the pool", exc)
            await self._recycle(generation)
            raise BrokenProcessPool(str(exc)) from exc
        self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * (loop.time() - started)
        return self._unwrap(status, value)

    @staticmethod
    def _unwrap(status: str, value: Any) -> dict[str, Any]:
        """A worker's answer, or its error raised here."""
        if status == "ok":
            return dict(value)
        if status == "error":
            raise _domain_error(*value)
        log.error("OCR job failed in worker: %s", value)
        raise Unavailable("ocr_failed", retry_after=1)

    async def _ensure_pool(self) -> tuple[ProcessPoolExecutor, int]:
        """The running pool, started and warmed first if there is none."""
        async with self._lock:
            if self._closed:
                raise Unavailable("ocr_unavailable", retry_after=5)
            if self._executor is None:
                self._executor = await self._spawn()
                self._generation += 1
            return self._executor, self._generation

    async def _spawn(self) -> ProcessPoolExecutor:
        """A new pool whose workers have all built their engines (or an error)."""
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=mp.get_context("spawn"),  # no fork of a threaded event-loop process
            initializer=_init_worker,
            initargs=(self._factory, self.engine_name, self._options),
        )
        pings = [asyncio.wrap_future(executor.submit(_ping)) for _ in range(self.workers)]
        try:
            await asyncio.wait_for(asyncio.gather(*pings), self.start_timeout)
        except (TimeoutError, BrokenProcessPool) as exc:
            self._kill(executor)
            log.error("OCR workers did not start (%s: %s)", type(exc).__name__, exc)
            raise Unavailable("ocr_unavailable", retry_after=30) from exc
        return executor

    async def _recycle(self, generation: int) -> None:
        """Kill the pool of ``generation`` (if still current); the next job starts a new one."""
        async with self._lock:
            if self._executor is not None and self._generation == generation:
                self._kill(self._executor)
                self._executor = None

    @staticmethod
    def _kill(executor: ProcessPoolExecutor | None) -> None:
        """Stop a pool now: its workers are killed, queued futures cancelled."""
        if executor is None:
            return
        # The stdlib has no public way to stop a busy worker before Python 3.14.
        processes = list(getattr(executor, "_processes", {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)
