"""PostgreSQL's writer: one task with its own connection, and group commit.

Why: an append in a transaction of its own on a pooled connection was four round trips (BEGIN,
the room's seq, the message row, COMMIT), each an await on the event loop with asyncpg's
per-call Python around it, and a WAL flush per message. Here a caller only queues its plan
(``plan.py``); one task takes every job waiting, runs them all in one transaction — side by side
where they touch different rows, one pipelined call per statement (``pg_lockstep.py``) — and
answers each after the COMMIT. Jobs arriving meanwhile wait for the next batch, so the batch
grows with the load, as on SQLite (``sqlite_writer.py``). *Stored before acknowledged*, the
gap-free seq (the room's row, updated inside the transaction that inserts the message) and the
``clientMsgId`` uniqueness do not change.

One task on one connection: two batches never wait on each other's row locks, so they cannot
deadlock, and jobs run in the order they were queued. When a job fails (a refusal, a racing
``clientMsgId`` retry on the unique index, a missing room) the batch is rolled back and its
jobs run again one by one, each in a ``SAVEPOINT``, so one bad job fails alone. A lost
connection fails the batch, ``uncertain`` when it was lost while committing; the next batch
connects again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from chatserver.adapters.sql.pg_lockstep import Running, drive, run_wave, waves
from chatserver.adapters.sql.plan import Conflict, MakePlan, Refused, always
from chatserver.ports.ordering import order_fixed
from chatserver.ports.store import StoreError

log = logging.getLogger("chatserver.adapters.sql.pg_writer")
T = TypeVar("T")

MAX_BATCH = 512
# the connection is gone (or in an unknown state): the batch is lost, the next one reconnects;
# any other error is a statement's, and so one job's
LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError, TimeoutError)


@dataclass(slots=True)
class _Job:
    plan: MakePlan[Any]
    on_conflict: MakePlan[Any] | None  # run instead when the plan hit a unique index (a racing twin)
    changed: Callable[[Any], bool]  # whether the result wrote something: a failed commit leaves doubt
    future: asyncio.Future[Any]
    outcome: Any = None  # the result, or the exception to raise
    failed: bool = False
    hooked: bool = False  # it wrote a webhook event


class PgWriter:
    """Runs write plans in group-committed transactions on one connection of its own. The task
    starts on first use, on the event loop of that call."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        *,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self._connect = connect
        self.on_outbox = on_outbox
        self._conn: asyncpg.Connection | None = None
        self._queue: list[_Job] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0  # transactions committed (the tests' group-commit check)
        self.jobs = 0  # jobs committed

    async def run(
        self,
        plan: MakePlan[T],
        *,
        on_conflict: MakePlan[T | None] | None = None,
        changed: Callable[[T], bool] = always,
        fixes_order: bool = False,
    ) -> T:
        """``PlanRunner.run``: in the next batch's transaction."""
        if self._closed:
            raise StoreError("database unavailable: the store is closed")
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._serve(), name="pg-writer")
        job = _Job(plan, on_conflict, changed, loop.create_future())
        self._queue.append(job)
        self._wake.set()
        if fixes_order:
            order_fixed()
        result: T = await job.future
        return result

    async def close(self) -> None:
        """Store what is queued, then stop the task and close the connection."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            self._wake.set()
            await task
        self._drop()

    async def _serve(self) -> None:
        """The writer task: a batch after another while jobs wait. Whatever a batch does, each
        of its jobs is answered and the task goes on."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                jobs = self._queue[:MAX_BATCH]
                del self._queue[:MAX_BATCH]
                try:
                    await self._store(jobs)
                except asyncio.CancelledError:
                    self._abandon(jobs + self._queue)
                    raise
                except Exception as exc:
                    log.exception("a batch of %d jobs failed", len(jobs))
                    self._drop()
                    for job in jobs:
                        _fail(job, StoreError(f"could not be stored: {type(exc).__name__}", uncertain=True))
                self._answer(jobs)
            if self._closed:
                return

    async def _store(self, jobs: list[_Job]) -> None:
        try:
            conn = await self._begin()
        except (*LOST, asyncpg.PostgresError) as exc:
            self._drop()
            for job in jobs:
                _fail(job, StoreError(f"database unavailable: {type(exc).__name__}"))
            return
        committing = False
        try:
            if not await self._together(conn, jobs):
                await conn.execute("BEGIN")
                for job in jobs:  # one of them failed: again, each job in a savepoint
                    job.outcome, job.failed, job.hooked = None, False, False
                    await self._one(conn, job)
            committing = True
            await self._commit(conn)
        except LOST as exc:
            self._drop()
            self._lost(jobs, StoreError(f"database unavailable: {type(exc).__name__}", uncertain=committing))
            return
        except asyncpg.PostgresError as exc:  # BEGIN or COMMIT refused: the transaction is gone
            with contextlib.suppress(*LOST, asyncpg.PostgresError):
                await conn.execute("ROLLBACK")
            self._lost(jobs, StoreError(f"database unavailable: {type(exc).__name__}"))
            return
        self.batches += 1
        self.jobs += len(jobs)

    async def _together(self, conn: asyncpg.Connection, jobs: list[_Job]) -> bool:
        """Every job side by side, without savepoints: True when all went through. Otherwise
        the transaction is rolled back (False) and the caller runs the jobs one by one."""
        running: list[Running] = []
        try:
            for job in jobs:
                running.append(Running(job.plan()))
            for wave in waves(running):
                await run_wave(conn, wave)
        except LOST:
            raise
        except Exception:  # noqa: BLE001 - a refusal, a unique index, a bug: the careful path sorts it out
            await conn.execute("ROLLBACK")
            return False
        for job, done in zip(jobs, running, strict=True):
            job.outcome, job.hooked = done.result, done.hooked
        return True

    async def _one(self, conn: asyncpg.Connection, job: _Job) -> None:
        """``job`` alone, in a savepoint: whatever it raises fails only ``job`` (a lost connection
        fails the batch)."""
        await conn.execute("SAVEPOINT job")
        try:
            done = await drive(conn, job.plan())
            job.outcome, job.hooked = done.result, done.hooked
        except LOST:
            raise
        except Refused as refused:
            await conn.execute("ROLLBACK TO SAVEPOINT job")
            _fail(job, refused)
        except (asyncpg.UniqueViolationError, Conflict):
            # a racing twin stored it first (a retried clientMsgId, a room another join created)
            await conn.execute("ROLLBACK TO SAVEPOINT job")
            await self._instead(conn, job)
        except asyncpg.PostgresError as exc:
            await conn.execute("ROLLBACK TO SAVEPOINT job")
            _fail(job, StoreError(f"database unavailable: {type(exc).__name__}"))
        except Exception as exc:  # a bug: this job fails, the batch goes on
            log.exception("a database job failed")
            await conn.execute("ROLLBACK TO SAVEPOINT job")
            _fail(job, exc)
        await conn.execute("RELEASE SAVEPOINT job")

    async def _instead(self, conn: asyncpg.Connection, job: _Job) -> None:
        """The job's ``on_conflict`` plan, after its own was rolled back."""
        try:
            found = None if job.on_conflict is None else (await drive(conn, job.on_conflict())).result
        except LOST:
            raise
        except asyncpg.PostgresError as exc:
            await conn.execute("ROLLBACK TO SAVEPOINT job")
            _fail(job, StoreError(f"database unavailable: {type(exc).__name__}"))
            return
        except Exception as exc:  # a bug: this job fails, the batch goes on
            log.exception("a database job's conflict plan failed")
            await conn.execute("ROLLBACK TO SAVEPOINT job")
            _fail(job, exc)
            return
        if found is None:
            _fail(job, StoreError("could not be stored"))
        else:
            job.outcome = found

    # seams: the fault tests replace this to lose the connection while committing

    async def _commit(self, conn: asyncpg.Connection) -> None:
        await conn.execute("COMMIT")

    # the connection

    async def _begin(self) -> asyncpg.Connection:
        """The connection, in a new transaction. A connection the server closed while it sat idle
        (a restart, an idle timeout) is only found out here: one new one is tried before the
        batch fails, since nothing of it was sent yet."""
        conn = self._conn
        if conn is not None and not conn.is_closed():
            try:
                await conn.execute("BEGIN")
                return conn
            except LOST:
                self._drop()
        self._conn = conn = await self._connect()
        await conn.execute("BEGIN")
        return conn

    def _drop(self) -> None:
        """Close the connection without a round trip (its open transaction is rolled back)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    # answers

    def _lost(self, jobs: list[_Job], error: StoreError) -> None:
        """The batch's transaction is gone: every job fails with ``error``, except a refusal
        (it stored nothing either way) and, after a commit was sent, a job that wrote nothing."""
        for job in jobs:
            if job.failed and not isinstance(job.outcome, StoreError):
                continue
            if error.uncertain and not job.failed and not job.changed(job.outcome):
                continue
            _fail(job, error)

    def _answer(self, jobs: list[_Job]) -> None:
        wrote = False
        for job in jobs:
            wrote = wrote or (job.hooked and not job.failed)
            if job.future.done():  # its caller was cancelled
                continue
            if job.failed:
                job.future.set_exception(job.outcome)
            else:
                job.future.set_result(job.outcome)
        if wrote and self.on_outbox is not None:
            try:
                self.on_outbox()
            except Exception:  # the hook's failure is not the writer's: log it, the task goes on
                log.exception("waking the webhook worker failed")

    def _abandon(self, jobs: list[_Job]) -> None:
        """The task is cancelled (the loop shuts down): nothing queued will be stored."""
        self._queue.clear()
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(StoreError("database unavailable: the writer stopped", uncertain=True))


def _fail(job: _Job, exc: BaseException) -> None:
    job.outcome, job.failed = exc, True
