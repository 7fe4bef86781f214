"""SQLite's writer: one thread with its own connection, and group commit.

Why: through aiosqlite and SQLAlchemy one append cost ~19 hops between the event loop and the
driver's thread and ~1,400 Python calls on the loop, and with ``synchronous=FULL`` every commit
is an fsync. Here the event loop only queues the job; the writer thread takes every job that is
waiting, runs them in one transaction (one fsync), and wakes the loop once for the whole batch.
Jobs arriving while a batch commits wait for the next one, so the batch grows with the load.
Each job is answered only after the transaction holding it committed: *stored before
acknowledged* is unchanged.

A job is a plan (``plan.py``) shared with PostgreSQL: the message append (``append_plan.py``)
and the steps every connection takes — a guest's registration or resume, its room, the history
it is sent (``connect_plan.py``). Each runs inside its own ``SAVEPOINT``, so one failing job (a
racing retry hitting the unique index) does not undo the others in its batch. This module only
runs their statements.

The writer is a second connection to the database file; the engine's connection and other
processes serialize with it through SQLite's lock and ``busy_timeout``.

Checkpoints (copying the WAL back into the database file, with an fsync of the file) do not run
inside the writer's commits, where SQLite's automatic checkpoint would hold every waiting
acknowledgement for its duration (the benchmark's p99): a checkpointer thread with its own
connection runs a ``PASSIVE`` checkpoint (it never blocks the writer) once a second while
messages are being written.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from chatserver.adapters.sql.plan import Conflict, MakePlan, Plan, Refused, always
from chatserver.ports.ordering import order_fixed
from chatserver.ports.store import StoreError

log = logging.getLogger("chatserver.adapters.sql.sqlite_writer")
T = TypeVar("T")


MAX_BATCH = 512
CHECKPOINT_EVERY_S = 1.0


@dataclass(slots=True)
class _Job:
    plan: MakePlan[Any]
    on_conflict: MakePlan[Any] | None  # run instead when the plan hit a unique index (a racing twin)
    changed: Callable[[Any], bool]  # whether the result wrote something: a failed commit leaves doubt
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    outcome: Any = None  # the result, or the exception to raise
    failed: bool = False
    hooked: bool = False  # it wrote a webhook event


@dataclass
class _Batch:
    appends: list[_Job] = field(default_factory=list)
    stop: bool = False


class SqliteWriter:
    """Appends messages to a SQLite file from its own thread. Started on first use."""

    def __init__(
        self,
        path: str,
        *,
        busy_timeout_ms: int = 10_000,
        on_outbox: Callable[[], None] | None = None,
        synchronous: str = "FULL",
    ) -> None:
        self._path = path
        self._synchronous = "NORMAL" if synchronous == "NORMAL" else "FULL"
        self._busy_timeout_ms = busy_timeout_ms
        self.on_outbox = on_outbox
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.checkpoints = 0
        self.batches = 0  # transactions committed (for the benchmark's group-commit figure)
        self.jobs = 0  # jobs committed (messages, registrations, rooms, reads)

    async def run(
        self,
        plan: MakePlan[T],
        *,
        on_conflict: MakePlan[T | None] | None = None,
        changed: Callable[[T], bool] = always,
        fixes_order: bool = False,
    ) -> T:
        """``PlanRunner.run``: in the next batch's transaction. The plan runs on the writer thread
        (what it calls, like an append's ``prepare``, must only compute)."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        job = _Job(plan, on_conflict, changed, loop, loop.create_future())
        self._queue.put(job)
        if fixes_order:
            order_fixed()
        result: T = await job.future
        return result

    async def close(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._queue.put(None)
        self._stopping.set()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, thread.join)
        if self._checkpointer is not None:
            await loop.run_in_executor(None, self._checkpointer.join)
        self._thread = self._checkpointer = None

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
                checkpointer = threading.Thread(target=self._checkpoint_loop, name="sqlite-checkpoint", daemon=True)
                thread.start()
                checkpointer.start()
                self._thread, self._checkpointer = thread, checkpointer

    # the writer thread

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        return conn

    def _checkpoint_loop(self) -> None:
        conn: sqlite3.Connection | None = None
        done = 0
        try:
            while not self._stopping.wait(CHECKPOINT_EVERY_S):
                if self.batches == done:
                    continue
                done = self.batches
                try:
                    conn = conn or sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    self.checkpoints += 1
                except sqlite3.Error:
                    log.warning("WAL checkpoint failed; retrying in %.0f s", CHECKPOINT_EVERY_S, exc_info=True)
        finally:
            if conn is not None:
                conn.close()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                batch = self._take()
                if batch.appends:
                    if conn is None:
                        conn = self._open_or_fail(batch)
                    if conn is not None:
                        self._store_or_fail(conn, batch.appends)
                    self._answer(batch.appends)
                if batch.stop:
                    return
        finally:
            if conn is not None:
                conn.close()

    def _take(self) -> _Batch:
        """Block for one append, then take every other one already waiting."""
        batch = _Batch()
        first = self._queue.get()
        if first is None:
            batch.stop = True
            return batch
        batch.appends.append(first)
        while len(batch.appends) < MAX_BATCH:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                batch.stop = True
                break
            batch.appends.append(job)
        return batch

    def _open_or_fail(self, batch: _Batch) -> sqlite3.Connection | None:
        try:
            return self._connect()
        except sqlite3.Error as exc:
            for job in batch.appends:
                _fail(job, StoreError(f"database unavailable: {type(exc).__name__}"))
            return None

    def _store_or_fail(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        """Whatever happens, every job gets an outcome and the thread lives on."""
        try:
            self._store(conn, jobs)
        except _BatchFailed as failed:
            for job in jobs:
                _fail(job, failed.error)
        except Exception as exc:
            log.exception("a batch of %d jobs failed", len(jobs))
            _rollback(conn)
            for job in jobs:
                _fail(job, StoreError(f"could not be stored: {type(exc).__name__}", uncertain=True))

    def _store(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        try:
            self._execute(conn, "BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for job in jobs:
                _fail(job, StoreError(f"database unavailable: {type(exc).__name__}"))
            return
        if not self._run_all(conn, jobs):
            for job in jobs:  # one of them failed: the batch again, each job in a savepoint
                job.outcome, job.failed, job.hooked = None, False, False
                self._run_one(conn, job)
        try:
            self._commit(conn)
        except sqlite3.Error as exc:
            _rollback(conn)
            for job in jobs:
                if not job.failed and job.changed(job.outcome):
                    _fail(job, StoreError(f"database unavailable: {type(exc).__name__}", uncertain=True))
            return
        self.batches += 1
        self.jobs += len(jobs)

    def _run_all(self, conn: sqlite3.Connection, jobs: list[_Job]) -> bool:
        """Every job without savepoints (two statements fewer per job): True when all went
        through. When a plan failed (a refusal, a unique index, a bug) the batch is rolled back
        and the transaction begun again: False, and the caller runs the jobs one by one. A
        database error fails every job of the batch (nothing of it is stored)."""
        try:
            for job in jobs:
                job.outcome = self._drive(conn, job.plan(), job)
        except sqlite3.Error as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                self._restart(conn)
                return False
            _rollback(conn)
            raise _BatchFailed(StoreError(f"database unavailable: {type(exc).__name__}")) from exc
        except Exception:  # noqa: BLE001 - whatever a plan raised, the careful path sorts it out
            self._restart(conn)
            return False
        return True

    def _restart(self, conn: sqlite3.Connection) -> None:
        self._execute(conn, "ROLLBACK")
        self._execute(conn, "BEGIN IMMEDIATE")

    def _run_one(self, conn: sqlite3.Connection, job: _Job) -> None:
        self._execute(conn, "SAVEPOINT job")
        try:
            job.outcome = self._drive(conn, job.plan(), job)
        except Refused as refused:
            self._execute(conn, "ROLLBACK TO job")
            _fail(job, refused)
        except (sqlite3.IntegrityError, Conflict):
            # a racing twin stored it first (a retried clientMsgId, a room another join created)
            self._execute(conn, "ROLLBACK TO job")
            found = None if job.on_conflict is None else self._drive(conn, job.on_conflict(), job)
            if found is None:
                _fail(job, StoreError("could not be stored"))
            else:
                job.outcome = found
        except sqlite3.Error as exc:
            self._execute(conn, "ROLLBACK TO job")
            _fail(job, StoreError(f"database unavailable: {type(exc).__name__}"))
        except Exception as exc:  # a bug: this job fails, the thread and the batch go on
            log.exception("a database job failed")
            self._execute(conn, "ROLLBACK TO job")
            _fail(job, exc)
        self._execute(conn, "RELEASE job")

    def _drive(self, conn: sqlite3.Connection, plan: Plan[T], job: _Job) -> T:
        """Run a plan's statements in the current transaction; its result."""
        row = None
        while True:
            try:
                step = plan.send(row)
            except StopIteration as done:
                return cast(T, done.value)
            cursor = self._execute(conn, step.sql, step.params)
            row = (cursor.fetchall() if step.many else cursor.fetchone()) if step.fetch else None
            if step.outbox:
                job.hooked = True

    # seams: the fault tests replace these to fail a statement or the commit

    def _execute(
        self, conn: sqlite3.Connection, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None
    ) -> sqlite3.Cursor:
        return conn.execute(sql, params or {})

    def _commit(self, conn: sqlite3.Connection) -> None:
        conn.execute("COMMIT")

    # back to the event loop

    def _answer(self, appends: list[_Job]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in appends:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            try:
                loop.call_soon_threadsafe(self._settle, jobs)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                log.debug("dropping %d answers for a closed event loop", len(jobs))

    def _settle(self, jobs: list[_Job]) -> None:
        """On the event loop: one call per batch."""
        wrote = False
        for job in jobs:
            wrote = wrote or (job.hooked and not job.failed)
            if job.future.done():
                continue
            if job.failed:
                job.future.set_exception(job.outcome)
            else:
                job.future.set_result(job.outcome)
        if wrote and self.on_outbox is not None:
            self.on_outbox()


class _BatchFailed(Exception):
    """The database failed while the batch ran (rolled back): every job fails with ``error``."""

    def __init__(self, error: StoreError) -> None:
        super().__init__(str(error))
        self.error = error


def _fail(job: _Job, exc: BaseException) -> None:
    job.outcome, job.failed = exc, True


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.debug("rollback after a failed commit failed too", exc_info=True)
