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
    batch keeps gathering, so under load batches grow with the round trip's length. With
    ``overlap_at`` too, a batch starts beside a running one only once it holds that many
    requests; a smaller one waits for the running batch to end: under light load batches
    take turns (fewer, larger ones: fewer round trips and commits), under heavy load they
    overlap (the next is written while the last one commits).

    A request made with ``patience`` never leads at once: it waits up to that many seconds
    for a batch to ride with (the next one led, or the one gathering), and only then leads
    its own. A lane's ack is such a request: nothing waits on it, and riding with the next
    scan spares a commit (a WAL flush) of its own.
    """

    def __init__(self, run: BatchRunner[In, Out], limit: int = 200,
                 in_flight: int | None = None, overlap_at: int = 1) -> None:
        self._run, self._limit = run, limit
        self._gathering: list[tuple[In, asyncio.Future[Out]]] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._max_in_flight, self._overlap_at, self._in_flight = in_flight or None, overlap_at, 0
        self._starting: list[asyncio.Future[None]] = []  # batches waiting to start, oldest first
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []  # patient, for a ride
        self._timer: asyncio.TimerHandle | None = None

    @property
    def gathering(self) -> int:
        """How many requests wait in the batch now gathering (the next to run)."""
        return len(self._gathering or ())

    async def __call__(self, request: In, patience: float = 0.0) -> Out:
        """The answer to ``request``, from the batch it joins (see ``patience`` above)."""
        loop = asyncio.get_running_loop()
        if (batch := self._gathering) is not None:  # a batch is gathering: join it
            future: asyncio.Future[Out] = loop.create_future()
            self._join(batch, (request, future))
            return await future
        if patience > 0:
            return await self._wait_for_a_ride(request, patience)
        lead: asyncio.Future[Out] = loop.create_future()
        batch = self._gathering = self._take_waiting()  # in line first: in order of arrival
        self._join(batch, (request, lead))
        try:
            await asyncio.sleep(0)  # one loop turn: requests made meanwhile join
            await self._take_slot(batch)  # the batch gathers until it may start
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
            self._free_slot()
        if len(answers) != 1:
            raise RuntimeError(f"batch of 1 got {len(answers)} answers")
        if isinstance(answers[0], BaseException):
            raise answers[0]
        return answers[0]

    def _join(self, batch: list[tuple[In, asyncio.Future[Out]]],
              entry: tuple[In, asyncio.Future[Out]]) -> None:
        batch.append(entry)
        if len(batch) >= self._limit and self._gathering is batch:
            self._gathering = None  # full: the next request leads a new one
        if len(batch) == self._overlap_at:
            self._wake()  # big enough now to start beside a running batch

    def _may_start(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> bool:
        if self._max_in_flight is None or self._in_flight == 0:
            return True
        return self._in_flight < self._max_in_flight and len(batch) >= self._overlap_at

    async def _take_slot(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        """Wait until ``batch`` may start (see ``in_flight`` and ``overlap_at``), and count
        it as running. Waiting batches are woken oldest first and each looks again."""
        while not self._may_start(batch):
            woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._starting.append(woken)
            try:
                await woken
            finally:
                if woken in self._starting:
                    self._starting.remove(woken)
        if self._max_in_flight is not None:
            self._in_flight += 1

    def _free_slot(self) -> None:
        if self._max_in_flight is not None:
            self._in_flight -= 1
            self._wake()

    def _wake(self) -> None:
        if not self._starting:  # the common case: no batch waits to start
            return
        starting, self._starting = self._starting, []
        for woken in starting:
            if not woken.done():
                woken.set_result(None)

    async def _wait_for_a_ride(self, request: In, patience: float) -> Out:
        """Wait in line for the next batch; after ``patience`` the line leads its own."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Out] = loop.create_future()
        self._waiting.append((request, future))
        if self._timer is None:
            self._timer = loop.call_later(patience, self._lead_the_waiting)
        try:
            return await future
        except asyncio.CancelledError:
            self._waiting = [w for w in self._waiting if w[1] is not future]
            raise

    def _take_waiting(self) -> list[tuple[In, asyncio.Future[Out]]]:
        waiting, self._waiting = self._waiting, []
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return waiting

    def _lead_the_waiting(self) -> None:
        """No batch came for the patient requests in time: they go as a batch of their own.
        (None can be gathering now: a patient request joins one it finds, and a batch that
        starts takes the whole line.)"""
        self._timer = None
        waiting = self._take_waiting()
        if not waiting:
            return
        task = asyncio.get_running_loop().create_task(self._lead(waiting))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _lead(self, waiting: list[tuple[In, asyncio.Future[Out]]]) -> None:
        """Lead a batch of patient requests as a request would: one turn, then a slot."""
        batch = self._gathering = waiting
        try:
            await asyncio.sleep(0)
            await self._take_slot(batch)
        except asyncio.CancelledError:
            self._close(batch)
            for _, future in batch:
                future.cancel()
            raise
        self._close(batch)
        self._spawn(batch, holds_slot=True)

    def _close(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        if self._gathering is batch:
            self._gathering = None

    def _spawn(self, batch: list[tuple[In, asyncio.Future[Out]]],
               holds_slot: bool = False) -> None:
        if batch:
            task = asyncio.get_running_loop().create_task(self._answer(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            if holds_slot:
                task.add_done_callback(lambda _: self._free_slot())

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
