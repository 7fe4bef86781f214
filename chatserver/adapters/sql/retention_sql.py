"""The reads of the retention sweep on SQLAlchemy (``RetentionStore``, issue 16): the businesses'
settings, the guests idle past a cutoff, and the lock that lets one instance sweep at a time.

A guest is idle in a business when none of their rooms there moved (``activity_at``: the last
message, or the creation) since the cutoff and their session, if it still exists, was not seen
since either — a guest who only reads keeps their session's ``last_seen_at`` current.

One sweeper at a time: on PostgreSQL a session-level advisory lock, tried without waiting (an
instance that does not get it skips the round; the one holding it dies, the lock goes with its
connection). Its key is derived from the schema, so deployments sharing a database but not a
schema sweep independently. SQLite serves a single instance: nothing to lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.adapters.sql.models import BusinessRow, BusinessSettingsRow, GuestRow, RoomRow
from chatserver.adapters.sql.sessions import SqlSessions


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``, the same in every process."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class SqlRetentionStore(SqlSessions):
    def __init__(self, engine: AsyncEngine, *, lock_name: str) -> None:
        super().__init__(engine)
        self.key = lock_key(lock_name)

    @asynccontextmanager
    async def sweep_lock(self) -> AsyncIterator[bool]:
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        async with self.engine.connect() as conn:
            held = bool(await conn.scalar(select(func.pg_try_advisory_lock(self.key))))
            await conn.commit()
            try:
                yield held
            finally:
                if held:
                    await conn.scalar(select(func.pg_advisory_unlock(self.key)))
                    await conn.commit()

    async def business_settings(self, *, with_retention_only: bool) -> dict[str, dict[str, Any]]:
        """Every business's settings document, or (``with_retention_only``) only those that set
        ``guestRetentionDays``: without the server's own period, a round then reads the few
        businesses that keep data for a limited time, not all of them (5,000 businesses cost
        2.5 % of a core at idle when every round read and parsed them all)."""
        query = select(BusinessRow.id, BusinessSettingsRow.settings).outerjoin(
            BusinessSettingsRow, BusinessSettingsRow.business_id == BusinessRow.id
        )
        if with_retention_only:
            query = query.where(BusinessSettingsRow.settings["guestRetentionDays"].as_integer().is_not(None))
        async with self._tx() as session:
            found = await session.execute(query)
            return {business_id: dict(settings or {}) for business_id, settings in found.all()}

    async def idle_guests(self, business_id: str, cutoff: int, limit: int) -> list[str]:
        last_seen = func.coalesce(func.max(GuestRow.last_seen_at), 0)
        async with self._tx() as session:
            found = await session.execute(
                select(RoomRow.guest_id)
                .outerjoin(GuestRow, GuestRow.guest_id == RoomRow.guest_id)
                .where(RoomRow.business_id == business_id, RoomRow.is_guest.is_(True), RoomRow.guest_id.is_not(None))
                .group_by(RoomRow.guest_id)
                .having(func.max(RoomRow.activity_at) < cutoff, last_seen < cutoff)
                .order_by(func.max(RoomRow.activity_at), RoomRow.guest_id)
                .limit(limit)
            )
            return [str(guest_id) for guest_id in found.scalars()]
