"""Staff accounts, analytics and guest expiry on SQLAlchemy (``StaffStore``, ``AnalyticsStore``),
part of ``SqlStore``."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.analytics_sql import analytics_query, daily_query
from chatserver.adapters.sql.models import GuestRow, StaffAccountRow, new_id
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.domain.business import Analytics, DayCounts, StaffAccount


class StaffSql(SqlSessions):
    # staff accounts

    async def create_staff(
        self, business_id: str, email: str, name: str, password_hash: str, now: int
    ) -> StaffAccount | None:
        """``None`` when the email is taken."""
        row = StaffAccountRow(
            id=new_id(), business_id=business_id, email=email, name=name, password_hash=password_hash, created_at=now
        )
        try:
            async with self._tx() as session:
                session.add(row)
        except IntegrityError:
            return None
        return rows.staff(row)

    async def find_staff(self, email: str) -> StaffAccount | None:
        async with self._tx() as session:
            row = (
                await session.execute(select(StaffAccountRow).where(StaffAccountRow.email == email))
            ).scalar_one_or_none()
        return None if row is None else rows.staff(row)

    async def revoke_staff_tokens(self, email: str, password_hash: str | None = None) -> StaffAccount | None:
        """Bump the account's token version (every token issued before stops working), with a
        new password hash when given; ``None`` when no account has this email."""
        values: dict[str, object] = {"token_version": StaffAccountRow.token_version + 1}
        if password_hash is not None:
            values["password_hash"] = password_hash
        async with self._tx() as session:
            await session.execute(
                update(StaffAccountRow)
                .where(StaffAccountRow.email == email)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            row = (
                await session.execute(select(StaffAccountRow).where(StaffAccountRow.email == email))
            ).scalar_one_or_none()
        return None if row is None else rows.staff(row)

    async def staff_token_versions(self) -> dict[str, int]:
        """``{account id: version}`` of the accounts ever revoked (version 0 needs no entry)."""
        async with self._tx() as session:
            found = await session.execute(
                select(StaffAccountRow.id, StaffAccountRow.token_version).where(StaffAccountRow.token_version > 0)
            )
            return {account_id: int(version) for account_id, version in found.all()}

    async def list_staff(self, business_id: str) -> list[StaffAccount]:
        async with self._tx() as session:
            found = await session.execute(
                select(StaffAccountRow)
                .where(StaffAccountRow.business_id == business_id)
                .order_by(StaffAccountRow.created_at, StaffAccountRow.email)
            )
            return [rows.staff(row) for row in found.scalars()]

    # analytics and guest expiry

    async def analytics(self, business_id: str, from_ms: int, to_ms: int) -> Analytics:
        async with self._tx() as session:
            return await analytics_query(session, business_id, from_ms, to_ms)

    async def analytics_by_day(self, business_id: str, from_ms: int, to_ms: int) -> list[DayCounts]:
        async with self._tx() as session:
            return await daily_query(session, business_id, from_ms, to_ms)

    async def expire_idle_guests(self, cutoff: int) -> int:
        """Mark sessions idle since before ``cutoff`` expired; returns how many."""
        async with self._tx() as session:
            result = await session.execute(
                update(GuestRow)
                .where(GuestRow.expired.is_(False), GuestRow.last_seen_at < cutoff)
                .values(expired=True)
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)
