"""SQL implementation of the business features' store (``store/business.py``), mixed into ``SqlStore``.

The changes webhooks report (a room closed, a visitor's details changed, a guest converted) write
their events to the outbox in the transaction that makes the change (``write_outbox``), and only
when something actually changed: repeating a close or a conversion sends nothing.
"""

from __future__ import annotations

import secrets
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import ColumnElement, cast, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from chatserver.chat.bizmodels import Analytics, Contact, DayCounts, Faq, FaqFields, RoomFilter, StaffAccount
from chatserver.chat.models import Room
from chatserver.store.analytics_sql import analytics_query, daily_query
from chatserver.store.business import Side
from chatserver.store.models import (
    BusinessSettingsRow,
    ContactRow,
    FaqRow,
    GuestRow,
    MessageRow,
    RoomRow,
    StaffAccountRow,
)
from chatserver.store.outbox import write_outbox
from chatserver.webhooks.events import OutboxEvent, guest_converted, guest_updated, room_closed

VISITOR_SENDERS = ("guest", "customer")  # what staff read
CLOSED = "closed"
STAFF_SIDE_SENDERS = ("staff", "system")  # what visitors read


def _id() -> str:
    return secrets.token_hex(12)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def room_filter_clauses(filters: RoomFilter, dialect: str) -> list[ColumnElement[bool]]:
    """WHERE clauses for the dashboard's room filters; JSON tags need each dialect's own test."""
    clauses: list[ColumnElement[bool]] = []
    if filters.is_guest is not None:
        clauses.append(RoomRow.is_guest.is_(filters.is_guest))
    if filters.status is not None:
        clauses.append(RoomRow.status == filters.status)
    if filters.assigned_to is not None:
        clauses.append(RoomRow.assigned_to == filters.assigned_to)
    if filters.tag is not None:
        if dialect == "postgresql":
            clauses.append(cast(RoomRow.tags, JSONB).has_key(filters.tag))
        else:
            each = func.json_each(RoomRow.tags).table_valued("value")
            clauses.append(exists(select(literal(1)).select_from(each).where(each.c.value == filters.tag)))
    if filters.text:
        pattern = f"%{_like_escape(filters.text.lower())}%"
        clauses.append(
            func.lower(RoomRow.user_name).like(pattern, escape="\\")
            | func.lower(func.coalesce(RoomRow.email, "")).like(pattern, escape="\\")
        )
    return clauses


def _faq(row: FaqRow) -> Faq:
    return Faq(
        id=row.id,
        business_id=row.business_id,
        question=row.question,
        answer=row.answer,
        keywords=tuple(row.keywords or ()),
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _contact(row: ContactRow) -> Contact:
    return Contact(
        id=row.id,
        business_id=row.business_id,
        email=row.email,
        phone=row.phone,
        name=row.name,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _staff(row: StaffAccountRow) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        business_id=row.business_id,
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        created_at=row.created_at,
    )


class BusinessSqlMixin:
    """Needs ``engine`` and ``_tx`` from ``SqlStore``."""

    engine: AsyncEngine

    def _tx(self) -> AbstractAsyncContextManager[AsyncSession]:
        raise NotImplementedError

    def _room_of(self, row: RoomRow) -> Room:
        from chatserver.store.sql import _room

        return _room(row)

    async def _update_room(self, room_id: str, values: dict[str, Any]) -> Room | None:
        async with self._tx() as session:
            row = (
                await session.execute(
                    update(RoomRow)
                    .where(RoomRow.id == room_id)
                    .values(**values)
                    .returning(RoomRow)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one_or_none()
        return None if row is None else self._room_of(row)

    # FAQs

    async def list_faqs(self, business_id: str, *, enabled_only: bool = False) -> list[Faq]:
        query = select(FaqRow).where(FaqRow.business_id == business_id)
        if enabled_only:
            query = query.where(FaqRow.enabled.is_(True))
        async with self._tx() as session:
            rows = (await session.execute(query.order_by(FaqRow.created_at, FaqRow.id))).scalars().all()
        return [_faq(r) for r in rows]

    async def get_faq(self, faq_id: str) -> Faq | None:
        async with self._tx() as session:
            row = await session.get(FaqRow, faq_id)
        return None if row is None else _faq(row)

    async def create_faq(self, business_id: str, fields: FaqFields, now: int) -> Faq:
        row = FaqRow(
            id=_id(),
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
        return _faq(row)

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
        return _faq(row)

    async def delete_faq(self, faq_id: str) -> bool:
        async with self._tx() as session:
            row = await session.get(FaqRow, faq_id)
            if row is None:
                return False
            await session.delete(row)
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

    # room workflow

    async def _locked_room(self, session: AsyncSession, room_id: str) -> RoomRow | None:
        """The room's row, locked until the transaction ends (PostgreSQL; SQLite serializes writers)."""
        query = select(RoomRow).where(RoomRow.id == room_id).with_for_update()
        return (await session.execute(query)).scalar_one_or_none()

    async def set_room_status(
        self, room_id: str, status: str, now: int, *, by: dict[str, Any] | None = None
    ) -> Room | None:
        """Set ``status``; closing writes ``room.closed`` (closed by ``by``) with it. The current
        status again changes nothing and writes no event."""
        async with self._tx() as session:
            row = await self._locked_room(session, room_id)
            if row is None:
                return None
            if row.status != status:
                row.status = status
                row.closed_at = now if status == CLOSED else None
                if status == CLOSED:
                    await write_outbox(session, [room_closed(self._room_of(row), by or {}, now)])
        return self._room_of(row)

    async def assign_room(self, room_id: str, staff_id: str | None) -> Room | None:
        return await self._update_room(room_id, {"assigned_to": staff_id})

    async def set_room_tags(self, room_id: str, tags: tuple[str, ...]) -> Room | None:
        return await self._update_room(room_id, {"tags": list(tags)})

    async def mark_read(self, room_id: str, side: Side, seq: int) -> Room | None:
        """Move ``side``'s read position forward (never back, never past the head) and recount
        what that side has not read: the other side's messages after it."""
        read_col = RoomRow.staff_read_seq if side == "staff" else RoomRow.visitor_read_seq
        senders = VISITOR_SENDERS if side == "staff" else STAFF_SIDE_SENDERS
        async with self._tx() as session:
            row = (
                await session.execute(select(RoomRow).where(RoomRow.id == room_id).with_for_update())
            ).scalar_one_or_none()
            if row is None:
                return None
            position = min(max(int(getattr(row, read_col.key)), seq), row.last_seq)
            unread = await session.scalar(
                select(func.count())
                .select_from(MessageRow)
                .where(
                    MessageRow.room_id == room_id,
                    MessageRow.seq > position,
                    MessageRow.sender_type.in_(senders),
                )
            )
            setattr(row, read_col.key, position)
            if side == "staff":
                row.unread_by_staff = int(unread or 0)
            else:
                row.unread_by_visitor = int(unread or 0)
        return self._room_of(row)

    async def update_owner_info(
        self, owner_key: str, *, email: str | None, phone: str | None, user_name: str | None, now: int
    ) -> list[Room]:
        """Every room of the owner gets the given values; each room that really changed writes
        ``guest.updated``. Returns all the owner's rooms, oldest first."""
        values: dict[str, Any] = {}
        if email is not None:
            values["email"] = email
        if phone is not None:
            values["phone"] = phone
        if user_name is not None:
            values["user_name"] = user_name
            values["room_name"] = f"Chat with {user_name}"
        if not values:
            return []
        query = select(RoomRow).where(RoomRow.owner_key == owner_key).order_by(RoomRow.created_at, RoomRow.id)
        async with self._tx() as session:
            rows = (await session.execute(query.with_for_update())).scalars().all()
            events: list[OutboxEvent] = []
            for row in rows:
                if all(getattr(row, key) == value for key, value in values.items()):
                    continue
                for key, value in values.items():
                    setattr(row, key, value)
                events.append(guest_updated(self._room_of(row), now))
            await write_outbox(session, events)
        return [self._room_of(r) for r in rows]

    # contacts

    async def upsert_contact(
        self, business_id: str, email: str, phone: str | None, name: str | None, now: int
    ) -> tuple[Contact, bool]:
        """The business's contact with this (normalized) email, created if new; a given phone or
        name fills in or replaces the stored one. Two racing converts meet at the unique index."""
        for _attempt in range(2):
            try:
                return await self._upsert_contact(business_id, email, phone, name, now)
            except IntegrityError:
                continue
        return await self._upsert_contact(business_id, email, phone, name, now)

    async def _upsert_contact(
        self, business_id: str, email: str, phone: str | None, name: str | None, now: int
    ) -> tuple[Contact, bool]:
        async with self._tx() as session:
            row = (
                await session.execute(
                    select(ContactRow).where(ContactRow.business_id == business_id, ContactRow.email == email)
                )
            ).scalar_one_or_none()
            if row is None:
                row = ContactRow(
                    id=_id(),
                    business_id=business_id,
                    email=email,
                    phone=phone,
                    name=name,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                created = True
            else:
                created = False
                changed = False
                if phone is not None and phone != row.phone:
                    row.phone, changed = phone, True
                if name is not None and row.name is None:
                    row.name, changed = name, True
                if changed:
                    row.updated_at = now
        return _contact(row), created

    async def get_contact(self, contact_id: str) -> Contact | None:
        async with self._tx() as session:
            row = await session.get(ContactRow, contact_id)
        return None if row is None else _contact(row)

    async def link_contact(self, room_id: str, contact: Contact, now: int) -> Room | None:
        """Link the room to the contact; the first conversion time is kept on repeats.

        Webhook events: ``guest.converted`` when the room's contact changes (its first
        conversion, or a conversion under another email); ``guest.updated`` when only the
        room's email or phone changes (a repeat bringing a new phone); nothing for a pure repeat."""
        async with self._tx() as session:
            row = await self._locked_room(session, room_id)
            if row is None:
                return None
            before = (row.customer_id, row.email, row.phone)
            row.customer_id = contact.id
            if row.converted_at is None:
                row.converted_at = now
            row.email = contact.email
            if contact.phone is not None:
                row.phone = contact.phone
            room = self._room_of(row)
            if before[0] != contact.id:
                await write_outbox(session, [guest_converted(room, contact, now)])
            elif before[1:] != (row.email, row.phone):
                await write_outbox(session, [guest_updated(room, now)])
        return room

    async def guest_contact_id(self, business_id: str, guest_id: str) -> str | None:
        async with self._tx() as session:
            found = await session.scalar(
                select(RoomRow.customer_id)
                .where(
                    RoomRow.business_id == business_id,
                    RoomRow.guest_id == guest_id,
                    RoomRow.customer_id.is_not(None),
                )
                .order_by(RoomRow.converted_at.desc())
                .limit(1)
            )
        return None if found is None else str(found)

    # staff accounts

    async def create_staff(
        self, business_id: str, email: str, name: str, password_hash: str, now: int
    ) -> StaffAccount | None:
        """``None`` when the email is taken."""
        row = StaffAccountRow(
            id=_id(), business_id=business_id, email=email, name=name, password_hash=password_hash, created_at=now
        )
        try:
            async with self._tx() as session:
                session.add(row)
        except IntegrityError:
            return None
        return _staff(row)

    async def find_staff(self, email: str) -> StaffAccount | None:
        async with self._tx() as session:
            row = (
                await session.execute(select(StaffAccountRow).where(StaffAccountRow.email == email))
            ).scalar_one_or_none()
        return None if row is None else _staff(row)

    async def list_staff(self, business_id: str) -> list[StaffAccount]:
        async with self._tx() as session:
            rows = await session.execute(
                select(StaffAccountRow)
                .where(StaffAccountRow.business_id == business_id)
                .order_by(StaffAccountRow.created_at, StaffAccountRow.email)
            )
            return [_staff(row) for row in rows.scalars()]

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
