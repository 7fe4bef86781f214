"""PostgreSQL's plans (``plan.py``) on asyncpg directly, with its own small pool: the message
append and the steps every connection takes.

Why: through SQLAlchemy each of the append's statements cost several hundred microseconds of
Python on the event loop (and the pool's pre-ping a round trip per checkout); asyncpg alone runs
the same statements, prepared once per connection, for a few dozen. The plans are the ones
SQLite's writer runs too, each in one transaction, so nothing about *stored before
acknowledged*, the gap-free ``seq`` (the ``UPDATE … RETURNING`` row lock orders writers) or the
``clientMsgId`` uniqueness changes. Here: the pool, the transaction, the errors, and the race of
two twins on a unique index (``on_conflict``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.adapters.sql.engine import asyncpg_settings
from chatserver.adapters.sql.plan import Conflict, MakePlan, Plan, always, never
from chatserver.ports.store import StoreError

# what means "the database failed", as opposed to a bug
FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
T = TypeVar("T")


async def _no_reset(_conn: asyncpg.Connection) -> None:
    """Every transaction here ends in COMMIT or ROLLBACK: nothing to reset on release (asyncpg's
    default reset is one more round trip per append)."""


class PgAppender:
    def __init__(
        self,
        dsn: str,
        *,
        connect_args: dict[str, Any],
        pool_size: int,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self._dsn = dsn
        self._connect_args = connect_args
        self._pool_size = pool_size
        self.on_outbox = on_outbox
        self._pool: asyncpg.Pool | None = None
        self._starting = asyncio.Lock()

    @classmethod
    def for_engine(
        cls,
        engine: AsyncEngine,
        *,
        on_outbox: Callable[[], None] | None = None,
    ) -> PgAppender:
        settings = asyncpg_settings(engine)
        pool_size = int(settings.pop("pool_size", 10))
        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return cls(
            dsn,
            connect_args=settings,
            pool_size=pool_size,
            on_outbox=on_outbox,
        )

    async def _get_pool(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        async with self._starting:
            if self._pool is None:
                try:
                    self._pool = await asyncpg.create_pool(
                        self._dsn, min_size=1, max_size=self._pool_size, reset=_no_reset, **self._connect_args
                    )
                except FAILURES as exc:
                    raise StoreError(f"database unavailable: {type(exc).__name__}") from exc
        return self._pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def run(
        self,
        plan: MakePlan[T],
        *,
        on_conflict: MakePlan[T | None] | None = None,
        changed: Callable[[T], bool] = always,
    ) -> T:
        """``PlanRunner.run``: in a transaction of its own; a read (``changed`` is ``never``) in
        none, which saves the BEGIN and COMMIT round trips."""
        pool = await self._get_pool()
        if changed is never:
            return await self._outside(pool, plan)
        try:
            return await self._run(pool, plan, changed)
        except (asyncpg.UniqueViolationError, Conflict) as exc:
            found = None if on_conflict is None else await self._outside(pool, on_conflict)
            if found is None:
                raise StoreError("could not be stored") from exc
            return found

    async def _run(self, pool: asyncpg.Pool, plan: MakePlan[T], changed: Callable[[T], bool]) -> T:
        committing = False
        hooked = [False]
        try:
            async with pool.acquire() as conn:
                transaction = conn.transaction()
                await transaction.start()
                try:
                    result = await self._drive(conn, plan(), hooked)
                except BaseException:
                    with contextlib.suppress(*FAILURES):
                        await transaction.rollback()
                    raise
                committing = changed(result)  # only a commit that stores something leaves doubt
                await transaction.commit()
        except asyncpg.UniqueViolationError:
            raise
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}", uncertain=committing) from exc
        if hooked[0] and self.on_outbox is not None:
            self.on_outbox()
        return result

    async def _drive(self, conn: PoolConnectionProxy[asyncpg.Record], plan: Plan[T], hooked: list[bool]) -> T:
        """Run a plan's statements on ``conn``, in its transaction; the plan's result."""
        row: Any = None
        while True:
            try:
                step = plan.send(row)
            except StopIteration as done:
                return cast(T, done.value)
            if step.fetch and step.many:
                row = await conn.fetch(step.sql, *step.params)
            elif step.fetch:
                row = await conn.fetchrow(step.sql, *step.params)
            else:
                await conn.execute(step.sql, *step.params)
                row = None
            if step.outbox:
                hooked[0] = True

    async def _outside(self, pool: asyncpg.Pool, plan: MakePlan[T]) -> T:
        """A read (or one after a conflict), outside any transaction."""
        try:
            async with pool.acquire() as conn:
                return await self._drive(conn, plan(), [False])
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}") from exc
