"""PostgreSQL's message append on asyncpg directly, with its own small pool.

Why: through SQLAlchemy each of the append's statements cost several hundred microseconds of
Python on the event loop (and the pool's pre-ping a round trip per checkout); asyncpg alone runs
the same statements, prepared once per connection, for a few dozen. The statements are the ones
``SqlStore`` uses (``append_plan.py``), in one transaction, so nothing about *stored before
acknowledged*, the gap-free ``seq`` (the ``UPDATE … RETURNING`` row lock orders writers) or the
``clientMsgId`` uniqueness changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.chat.models import NewMessage
from chatserver.store import append_plan as plan
from chatserver.store.base import AppendResult, Prepare, StoreError
from chatserver.store.engine import asyncpg_settings

# what means "the database failed", as opposed to a bug
FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


@functools.cache
def statements() -> plan.AppendStatements:
    dialect: Any = asyncpg_dialect.dialect  # untyped in SQLAlchemy
    return plan.compile_statements(dialect(), positional=True)


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
        self._new_id = new_id
        self._preview_chars = preview_chars
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
        sql = statements()
        committing = False
        hooked = False
        reopen = False
        try:
            async with pool.acquire() as conn:
                transaction = conn.transaction()
                await transaction.start()
                try:
                    if prepare is not None:
                        get_room = sql.get_room
                        current = await conn.fetchrow(get_room.sql, *get_room.args({"room_id": new.room_id}))
                        decided = plan.prepared(prepare, new, None if current is None else plan.room_from(current))
                        new, reopen = decided.message, decided.reopen
                    existing = await self._existing(conn, new)
                    if existing is not None:
                        await transaction.commit()
                        return existing
                    if reopen:
                        await conn.execute(sql.reopen.sql, *sql.reopen.args({"room_id": new.room_id}))
                    allocate = sql.allocate(new.sender_type.value)
                    params = plan.allocate_params(new, now, self._preview_chars)
                    updated = await conn.fetchrow(allocate.sql, *allocate.args(params))
                    if updated is None:
                        raise StoreError("no such room")
                    message = plan.new_message(new, self._new_id(), updated["last_seq"], now)
                    insert = sql.insert_message
                    await conn.execute(insert.sql, *insert.args(plan.message_params(message)))
                    if updated["hooked"]:
                        outbox = sql.insert_outbox
                        event = plan.outbox_params(message, updated["business_id"], now)
                        await conn.execute(outbox.sql, *outbox.args(event))
                        hooked = True
                except BaseException:
                    with contextlib.suppress(*FAILURES):
                        await transaction.rollback()
                    raise
                committing = True
                await transaction.commit()
        except asyncpg.UniqueViolationError:
            raise
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}", uncertain=committing) from exc
        if hooked and self.on_outbox is not None:
            self.on_outbox()
        return AppendResult(message, created=True, room=plan.room_from(updated), reopened=reopen)

    async def _existing(self, conn: PoolConnectionProxy[asyncpg.Record], new: NewMessage) -> AppendResult | None:
        if new.client_msg_id is None:
            return None
        find = statements().find_by_client_id
        row = await conn.fetchrow(find.sql, *find.args(plan.client_id_params(new)))
        return None if row is None else AppendResult(plan.message_from(row), created=False)

    async def _existing_outside(self, pool: asyncpg.Pool, new: NewMessage) -> AppendResult | None:
        try:
            async with pool.acquire() as conn:
                return await self._existing(conn, new)
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}") from exc
