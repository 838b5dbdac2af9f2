"""Requests made in the same event-loop turn, answered by one batch (one round trip).

One event loop serves many lanes, and every scan needs a database row and a Redis script.
A round trip has a fixed cost on both sides (the client library's bookkeeping, a system
call each way, the server's parse and wake-up), so the requests of one loop turn go out
together: one ``IN (…)`` query, one Redis pipeline. Waiting costs one loop turn; under
light load a batch holds one request, and as load grows turns get longer and batches
larger, so the saving grows with the load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

# Runs one batch: one answer per request, in order; an exception fails that request only.
BatchRunner = Callable[[list[In]], Awaitable[Sequence[Out | BaseException]]]


class Coalescer(Generic[In, Out]):
    """Gathers the requests of one loop turn (at most ``limit``) and runs them as a batch.

    The first request of a batch leads: it yields one loop turn for others to join, then
    runs a batch of one itself (no task, no future: the common case under light load) or
    hands a larger batch to a task, so a leader cancelled meanwhile harms no one else.
    With ``in_flight``, at most that many batches run at once: while they do, the next
    batch keeps gathering, so under load batches grow with the round trip's length.
    """

    def __init__(self, run: BatchRunner[In, Out], limit: int = 200,
                 in_flight: int | None = None) -> None:
        self._run, self._limit = run, limit
        self._gathering: list[tuple[In, asyncio.Future[Out]]] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(in_flight) if in_flight else None

    @property
    def gathering(self) -> int:
        """How many requests wait in the batch now gathering (the next to run)."""
        return len(self._gathering or ())

    async def __call__(self, request: In) -> Out:
        """The answer to ``request``, from the batch it joins."""
        loop = asyncio.get_running_loop()
        if (batch := self._gathering) is not None:  # a batch is gathering: join it
            future: asyncio.Future[Out] = loop.create_future()
            batch.append((request, future))
            if len(batch) >= self._limit:
                self._gathering = None  # full: the next request leads a new one
            return await future
        lead: asyncio.Future[Out] = loop.create_future()
        batch = self._gathering = [(request, lead)]
        try:
            await asyncio.sleep(0)  # one loop turn: requests made meanwhile join
            if self._slots is not None:
                await self._slots.acquire()  # the batch gathers until a slot is free
        except asyncio.CancelledError:
            self._close(batch)
            self._spawn(batch[1:])  # the others are still answered
            raise
        self._close(batch)
        if len(batch) > 1:
            self._spawn(batch, holds_slot=True)
            return await lead
        try:
            answers = await self._run([request])
        finally:
            if self._slots is not None:
                self._slots.release()
        if len(answers) != 1:
            raise RuntimeError(f"batch of 1 got {len(answers)} answers")
        if isinstance(answers[0], BaseException):
            raise answers[0]
        return answers[0]

    def _close(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        if self._gathering is batch:
            self._gathering = None

    def _spawn(self, batch: list[tuple[In, asyncio.Future[Out]]],
               holds_slot: bool = False) -> None:
        if batch:
            task = asyncio.get_running_loop().create_task(self._answer(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            if holds_slot and self._slots is not None:
                slots = self._slots
                task.add_done_callback(lambda _: slots.release())

    async def _answer(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        try:
            answers = await self._run([request for request, _ in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} got {len(answers)} answers")
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # the whole batch failed: every request sees why
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.done():  # its caller was cancelled meanwhile
                continue
            if isinstance(answer, BaseException):
                future.set_exception(answer)
            else:
                future.set_result(answer)
