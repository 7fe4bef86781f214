"""What every part of ``SqlStore`` shares: the engine, and one short transaction per operation
whose driver errors become ``StoreError`` at this boundary.

``SqlStore`` (``sql.py``) is assembled from feature parts (``faq_sql.py``, ``business_sql.py``,
``staff_sql.py``) that each extend this class, so each part states what it relies on by
inheriting it rather than by stubs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from chatserver.adapters.sql.outbox import WROTE
from chatserver.ports.store import StoreError

# what means "the database failed" (IntegrityError is re-raised as is: callers handle races)
FAILURES = (OperationalError, InterfaceError, DBAPIError, OSError, TimeoutError, PoolTimeout)


class SqlSessions:
    def __init__(self, engine: AsyncEngine, *, on_outbox: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.on_outbox = on_outbox  # called after a commit that wrote webhook events (wakes the worker)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncSession]:
        committing = False
        try:
            async with self._sessions() as session:
                async with session.begin():
                    yield session
                    committing = True  # the body is done: what fails now is the commit
                wrote = session.info.pop(WROTE, False)
        except IntegrityError:
            raise
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}", uncertain=committing) from exc
        if wrote and self.on_outbox is not None:
            self.on_outbox()

    @asynccontextmanager
    async def _core_tx(self) -> AsyncIterator[AsyncConnection]:
        """A transaction on a bare connection, for the hot paths: SQLAlchemy Core statements,
        no ORM session (unit of work, identity map), same error mapping as ``_tx``."""
        committing = False
        try:
            async with self.engine.begin() as conn:
                yield conn
                committing = True
        except IntegrityError:
            raise
        except FAILURES as exc:
            raise StoreError(f"database unavailable: {type(exc).__name__}", uncertain=committing) from exc
