"""PostgreSQL's message append on asyncpg directly, with its own small pool.

Why: through SQLAlchemy each of the append's statements cost several hundred microseconds of
Python on the event loop (and the pool's pre-ping a round trip per checkout); asyncpg alone runs
the same statements, prepared once per connection, for a few dozen. The statements are the ones
``SqlStore`` uses (``append_sql.py``), chosen by the plan SQLite's writer runs too
(``append_plan.py``), in one transaction, so nothing about *stored before acknowledged*, the
gap-free ``seq`` (the ``UPDATE … RETURNING`` row lock orders writers) or the ``clientMsgId``
uniqueness changes. Here: the pool, the transaction, the errors, and the race of two retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Generator
from typing import Any, TypeVar, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.adapters.sql.append_plan import AppendPlan, NoSuchRoom, Step
from chatserver.adapters.sql.append_sql import AppendStatements, compile_statements
from chatserver.adapters.sql.engine import asyncpg_settings
from chatserver.domain.models import NewMessage
from chatserver.ports.store import AppendResult, Prepare, StoreError

# what means "the database failed", as opposed to a bug
FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
T = TypeVar("T")


@functools.cache
def statements() -> AppendStatements:
    dialect: Any = asyncpg_dialect.dialect  # untyped in SQLAlchemy
    return compile_statements(dialect(), positional=True)


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
        new_id: Callable[[], str],
        preview_chars: int,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self._dsn = dsn
        self._connect_args = connect_args
        self._pool_size = pool_size
        self._plan = AppendPlan(statements(), new_id=new_id, preview_chars=preview_chars)
        self.on_outbox = on_outbox
        self._pool: asyncpg.Pool | None = None
        self._starting = asyncio.Lock()

    @classmethod
    def for_engine(
        cls,
        engine: AsyncEngine,
        *,
        new_id: Callable[[], str],
        preview_chars: int,
        on_outbox: Callable[[], None] | None = None,
    ) -> PgAppender:
        settings = asyncpg_settings(engine)
        pool_size = int(settings.pop("pool_size", 10))
        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return cls(
            dsn,
            connect_args=settings,
            pool_size=pool_size,
            new_id=new_id,
            preview_chars=preview_chars,
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

    async def append(self, new: NewMessage, now: int, prepare: Prepare | None = None) -> AppendResult:
        pool = await self._get_pool()
        try:
            return await self._append(pool, new, now, prepare)
        except asyncpg.UniqueViolationError as exc:
            # two retries of one clientMsgId raced: the other one stored it
            existing = await self._existing_outside(pool, new)
            if existing is None:
                raise StoreError("message could not be stored") from exc
            return existing

    async def _append(self, pool: asyncpg.Pool, new: NewMessage, now: int, prepare: Prepare | None) -> AppendResult:
        committing = False
        try:
            async with pool.acquire() as conn:
                transaction = conn.transaction()
                await transaction.start()
                try:
                    appended = await self._drive(conn, self._plan.append(new, now, prepare))
                except BaseException:
                    with contextlib.suppress(*FAILURES):
                        await transaction.rollback()
                    raise
                committing = appended.result.created  # only a commit that stores something leaves doubt
                await transaction.commit()
        except asyncpg.UniqueViolationError:
            raise
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}", uncertain=committing) from exc
        except NoSuchRoom as exc:
            raise StoreError("no such room") from exc
        if appended.wrote_outbox and self.on_outbox is not None:
            self.on_outbox()
        return appended.result

    async def _drive(self, conn: PoolConnectionProxy[asyncpg.Record], plan: Generator[Step, Any, T]) -> T:
        """Run a plan's statements on ``conn``, in its transaction; the plan's result."""
        row = None
        while True:
            try:
                step = plan.send(row)
            except StopIteration as done:
                return cast(T, done.value)
            if step.fetch:
                row = await conn.fetchrow(step.sql, *step.params)
            else:
                await conn.execute(step.sql, *step.params)
                row = None

    async def _existing_outside(self, pool: asyncpg.Pool, new: NewMessage) -> AppendResult | None:
        try:
            async with pool.acquire() as conn:
                return await self._drive(conn, self._plan.existing(new))
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}") from exc
