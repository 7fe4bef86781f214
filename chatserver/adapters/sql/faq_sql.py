"""FAQs and business settings on SQLAlchemy (``FaqStore``, ``SettingsStore``), part of ``SqlStore``.

Every write also bumps the business's ``config_version`` in its transaction: the message path
reads it with each append, which is how every instance's automation cache sees the change
(``usecases/bizcache.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.models import BusinessRow, BusinessSettingsRow, FaqRow, new_id
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.domain.business import Faq, FaqFields


async def _bump_config_version(session: AsyncSession, business_id: str) -> None:
    bump = BusinessRow.config_version + 1
    await session.execute(update(BusinessRow).where(BusinessRow.id == business_id).values(config_version=bump))


class FaqSql(SqlSessions):
    # FAQs

    async def list_faqs(self, business_id: str, *, enabled_only: bool = False) -> list[Faq]:
        query = select(FaqRow).where(FaqRow.business_id == business_id)
        if enabled_only:
            query = query.where(FaqRow.enabled.is_(True))
        async with self._tx() as session:
            found = (await session.execute(query.order_by(FaqRow.created_at, FaqRow.id))).scalars().all()
        return [rows.faq(row) for row in found]

    async def get_faq(self, faq_id: str) -> Faq | None:
        async with self._tx() as session:
            row = await session.get(FaqRow, faq_id)
        return None if row is None else rows.faq(row)

    async def create_faq(self, business_id: str, fields: FaqFields, now: int) -> Faq:
        row = FaqRow(
            id=new_id(),
            business_id=business_id,
            question=fields.question or "",
            answer=fields.answer or "",
            keywords=list(fields.keywords or ()),
            enabled=True if fields.enabled is None else fields.enabled,
            created_at=now,
            updated_at=now,
        )
        async with self._tx() as session:
            session.add(row)
            await _bump_config_version(session, business_id)
        return rows.faq(row)

    async def update_faq(self, faq_id: str, fields: FaqFields, now: int) -> Faq | None:
        values: dict[str, Any] = {"updated_at": now}
        if fields.question is not None:
            values["question"] = fields.question
        if fields.answer is not None:
            values["answer"] = fields.answer
        if fields.keywords is not None:
            values["keywords"] = list(fields.keywords)
        if fields.enabled is not None:
            values["enabled"] = fields.enabled
        async with self._tx() as session:
            row = await session.get(FaqRow, faq_id)
            if row is None:
                return None
            for key, value in values.items():
                setattr(row, key, value)
            await _bump_config_version(session, row.business_id)
        return rows.faq(row)

    async def delete_faq(self, faq_id: str) -> bool:
        async with self._tx() as session:
            row = await session.get(FaqRow, faq_id)
            if row is None:
                return False
            await session.delete(row)
            await _bump_config_version(session, row.business_id)
        return True

    # settings

    async def get_business_settings(self, business_id: str) -> dict[str, Any]:
        async with self._tx() as session:
            row = await session.get(BusinessSettingsRow, business_id)
        return {} if row is None else dict(row.settings or {})

    async def put_business_settings(self, business_id: str, settings: dict[str, Any], now: int) -> None:
        async with self._tx() as session:
            row = await session.get(BusinessSettingsRow, business_id)
            if row is None:
                session.add(BusinessSettingsRow(business_id=business_id, settings=settings, updated_at=now))
            else:
                row.settings = settings
                row.updated_at = now
            await _bump_config_version(session, business_id)
