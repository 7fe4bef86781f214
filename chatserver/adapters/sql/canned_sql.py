"""Canned responses on SQLAlchemy (``CannedStore``), part of ``SqlStore``.

Uniqueness of a short code in a business is the unique index's (on the case-folded code), so two
staff adding the same code at once cannot both succeed: the loser's INSERT or UPDATE fails and
is reported as ``ShortCodeTaken``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.models import CannedResponseRow, new_id
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.domain.canned import CannedFields, CannedResponse, short_code_key
from chatserver.ports.canned import ShortCodeTaken


class CannedSql(SqlSessions):
    async def list_canned(self, business_id: str) -> list[CannedResponse]:
        query = (
            select(CannedResponseRow)
            .where(CannedResponseRow.business_id == business_id)
            .order_by(CannedResponseRow.short_code_key, CannedResponseRow.id)
        )
        async with self._tx() as session:
            found = (await session.execute(query)).scalars().all()
        return [rows.canned(row) for row in found]

    async def get_canned(self, canned_id: str) -> CannedResponse | None:
        async with self._tx() as session:
            row = await session.get(CannedResponseRow, canned_id)
        return None if row is None else rows.canned(row)

    async def count_canned(self, business_id: str) -> int:
        query = select(func.count()).select_from(CannedResponseRow).where(CannedResponseRow.business_id == business_id)
        async with self._tx() as session:
            return int((await session.execute(query)).scalar_one())

    async def create_canned(self, business_id: str, fields: CannedFields, now: int) -> CannedResponse:
        code = fields.short_code or ""
        row = CannedResponseRow(
            id=new_id(),
            business_id=business_id,
            short_code=code,
            short_code_key=short_code_key(code),
            content=fields.content or "",
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._tx() as session:
                session.add(row)
        except IntegrityError as exc:
            raise ShortCodeTaken(code) from exc
        return rows.canned(row)

    async def update_canned(self, canned_id: str, fields: CannedFields, now: int) -> CannedResponse | None:
        values: dict[str, Any] = {"updated_at": now}
        if fields.short_code is not None:
            values["short_code"] = fields.short_code
            values["short_code_key"] = short_code_key(fields.short_code)
        if fields.content is not None:
            values["content"] = fields.content
        try:
            async with self._tx() as session:
                row = await session.get(CannedResponseRow, canned_id)
                if row is None:
                    return None
                for key, value in values.items():
                    setattr(row, key, value)
        except IntegrityError as exc:
            raise ShortCodeTaken(fields.short_code or "") from exc
        return rows.canned(row)

    async def delete_canned(self, canned_id: str) -> bool:
        async with self._tx() as session:
            row = await session.get(CannedResponseRow, canned_id)
            if row is None:
                return False
            await session.delete(row)
        return True
