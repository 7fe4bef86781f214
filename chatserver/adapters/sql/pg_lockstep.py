"""Several plans (``plan.py``) run side by side on one asyncpg connection: each statement once
for all of them, as one pipelined call (``executemany`` / ``fetchmany``).

Why: PostgreSQL's writer (``pg_writer.py``) runs every queued job in one transaction. Run one
after the other, a batch of N appends is 2N round trips, each an await on a busy event loop and
asyncpg's per-call Python; side by side it is one round trip per statement of the plan (the
room's seq for every append, then every message row), whatever N is.

Side by side is only safe for plans that touch different rows. A plan says which row its first
step changes (``Step.key``, the append's room); the jobs of a batch run in waves, each wave
holding at most one job per key, and a job without a key runs alone, in queue order. Within a
wave the order of the statements differs from running the jobs one after the other, but the
rows do not overlap, so the outcome is the same.

Anything unusual (a plan's refusal, a unique index, a statement's error, a keyed row missing)
is raised to the writer, which rolls the batch back and runs its jobs one by one, each in a
savepoint: this module only handles the common case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from chatserver.adapters.sql.plan import Plan, Step

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # the writer's own connection, or one of the read pool's
    Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]


class Unmatched(Exception):
    """A pipelined keyed statement returned fewer rows than it was run for (a room missing):
    which job lacks its row is unknown, so the batch goes the careful way."""


class Running:
    """One job's plan while it runs: the statement it waits on, or its result once done."""

    __slots__ = ("hooked", "plan", "result", "step")

    def __init__(self, plan: Plan[Any]) -> None:
        self.plan = plan
        self.step: Step | None = None
        self.result: Any = None
        self.hooked = False  # it wrote a webhook event
        self.answer(None)

    def answer(self, row: Any) -> None:
        """Send the plan its last statement's row (``None`` at first); take its next step."""
        try:
            self.step = self.plan.send(row)
        except StopIteration as done:
            self.step, self.result = None, done.value
            return
        if self.step.outbox:
            self.hooked = True


def waves(running: list[Running]) -> list[list[Running]]:
    """The batch in waves that can each run side by side: between two jobs without a key (each a
    wave of its own), the n-th job of each key goes to the n-th wave. Jobs of one key keep their
    order, and so do jobs without one relative to everything else."""
    out: list[list[Running]] = []
    keyed: list[list[Running]] = []
    seen: dict[str, int] = {}
    for job in running:
        key = None if job.step is None else job.step.key
        if key is None:
            out.extend(keyed)
            out.append([job])
            keyed, seen = [], {}
            continue
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n == len(keyed):
            keyed.append([])
        keyed[n].append(job)
    out.extend(keyed)
    return out


async def run_wave(conn: asyncpg.Connection, wave: list[Running]) -> None:
    """Drive the wave's plans to their ends: each round, the same statement of every plan waiting
    on it in one call. Raises what a plan or a statement raised, and ``Unmatched``."""
    pending = [job for job in wave if job.step is not None]
    while pending:
        groups: dict[str, list[Running]] = {}
        for job in pending:
            assert job.step is not None
            groups.setdefault(job.step.sql, []).append(job)
        for sql, jobs in groups.items():
            await _run_group(conn, sql, jobs)
        pending = [job for job in pending if job.step is not None]


async def _run_group(conn: asyncpg.Connection, sql: str, jobs: list[Running]) -> None:
    steps = [job.step for job in jobs if job.step is not None]
    first = steps[0]
    if len(jobs) == 1 or (first.fetch and (first.many or any(step.key is None for step in steps))):
        # alone, or rows that cannot be told apart in one pipelined answer
        for job, step in zip(jobs, steps, strict=True):
            job.answer(await run_step(conn, step))
        return
    if first.fetch:
        rows = await conn.fetchmany(sql, [_args(step) for step in steps])
        if len(rows) != len(jobs):  # each keyed statement returns at most its one row
            raise Unmatched(sql)
        for job, row in zip(jobs, rows, strict=True):
            job.answer(row)
        return
    await conn.executemany(sql, [_args(step) for step in steps])
    for job in jobs:
        job.answer(None)


async def run_step(conn: Conn, step: Step) -> Any:
    """One statement; the row (or rows) the plan is sent back."""
    params = _args(step)
    if step.fetch and step.many:
        return await conn.fetch(step.sql, *params)
    if step.fetch:
        return await conn.fetchrow(step.sql, *params)
    await conn.execute(step.sql, *params)
    return None


async def drive(conn: Conn, plan: Plan[Any]) -> Running:
    """One plan alone, statement after statement; done (its ``result``, whether it ``hooked``)."""
    running = Running(plan)
    while running.step is not None:
        running.answer(await run_step(conn, running.step))
    return running


def _args(step: Step) -> tuple[Any, ...]:
    """A step's parameters, compiled for asyncpg: positional (``compiled.py``)."""
    assert isinstance(step.params, tuple)
    return step.params
