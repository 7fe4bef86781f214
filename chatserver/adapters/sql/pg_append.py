"""PostgreSQL's plans (``plan.py``) on asyncpg directly: writes through the group-committing
writer task (``pg_writer.py``), reads on a small pool of their own.

Why: through SQLAlchemy each of the append's statements cost several hundred microseconds of
Python on the event loop (and the pool's pre-ping a round trip per checkout); asyncpg alone runs
the same statements, prepared once per connection, for a few dozen. The plans are the ones
SQLite's writer runs too, so nothing about *stored before acknowledged*, the gap-free ``seq``
or the ``clientMsgId`` uniqueness changes. A read (the history a connection is sent, a room)
needs no transaction and no batch: it runs at once on the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.adapters.sql.engine import asyncpg_settings
from chatserver.adapters.sql.pg_lockstep import drive
from chatserver.adapters.sql.pg_writer import PgWriter
from chatserver.adapters.sql.plan import MakePlan, always, never
from chatserver.ports.store import StoreError

# what means "the database failed", as opposed to a bug
FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
T = TypeVar("T")


async def _no_reset(_conn: asyncpg.Connection) -> None:
    """The pool only runs reads outside transactions: nothing to reset on release (asyncpg's
    default reset is one more round trip per read)."""


class PgAppender:
    """``PlanRunner`` on PostgreSQL: writes group-committed by ``writer``, reads on the pool."""

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
        self._pool: asyncpg.Pool | None = None
        self.writer = PgWriter(self._connect_writer, on_outbox=on_outbox)
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

    async def _connect_writer(self) -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(self._dsn, **self._connect_args)
        return connection

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
        await self.writer.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def run(
        self,
        plan: MakePlan[T],
        *,
        on_conflict: MakePlan[T | None] | None = None,
        changed: Callable[[T], bool] = always,
        fixes_order: bool = False,
    ) -> T:
        """``PlanRunner.run``: a write in the writer's next batch; a read (``changed`` is
        ``never``) at once, outside any transaction."""
        if changed is never:
            return await self._outside(plan)
        return await self.writer.run(plan, on_conflict=on_conflict, changed=changed, fixes_order=fixes_order)

    async def _outside(self, plan: MakePlan[T]) -> T:
        pool = await self._get_pool()
        try:
            async with pool.acquire() as conn:
                done = await drive(conn, plan())
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}") from exc
        result: T = done.result
        return result
