"""The room workflow and contacts on SQLAlchemy (``WorkflowStore``, ``ContactStore``), part of
``SqlStore``: the business features whose changes webhooks report.

A room closed, a visitor's details changed, a guest converted: each describes the change as a
business event (``chatserver.domain.events``) and writes the webhook events the dispatcher makes
of it (``dispatch.webhook_events``) to the outbox in the transaction that makes the change
(``write_outbox``), and only when something actually changed: repeating a close or a
conversion sends nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.models import STAFF_SIDE_SENDERS, VISITOR_SENDERS, ContactRow, MessageRow, RoomRow, new_id
from chatserver.adapters.sql.outbox import write_outbox
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.domain.business import Contact
from chatserver.domain.events import GuestConverted, GuestUpdated, RoomClosed
from chatserver.domain.models import Principal, Room, RoomStatus
from chatserver.domain.pages import PageView
from chatserver.ports.business_store import Side
from chatserver.protocol import wire
from chatserver.protocol.webhook_events import OutboxEvent
from chatserver.usecases.dispatch import webhook_events


async def _locked_room(session: AsyncSession, room_id: str) -> RoomRow | None:
    """The room's row, locked until the transaction ends (PostgreSQL; SQLite serializes writers)."""
    query = select(RoomRow).where(RoomRow.id == room_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


class WorkflowSql(SqlSessions):
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
        return None if row is None else rows.room(row)

    async def set_room_status(self, room_id: str, status: str, now: int, *, by: Principal | None = None) -> Room | None:
        """Set ``status``; closing writes ``room.closed`` (closed by ``by``) with it. The current
        status again changes nothing and writes no event."""
        async with self._tx() as session:
            row = await _locked_room(session, room_id)
            if row is None:
                return None
            if row.status != status:
                row.status = status
                row.closed_at = now if status == RoomStatus.CLOSED else None
                if status == RoomStatus.CLOSED:
                    await write_outbox(session, webhook_events(RoomClosed(rows.room(row), by), now))
        return rows.room(row)

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
            row = await _locked_room(session, room_id)
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
        return rows.room(row)

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
            owned = (await session.execute(query.with_for_update())).scalars().all()
            events: list[OutboxEvent] = []
            for row in owned:
                if all(getattr(row, key) == value for key, value in values.items()):
                    continue
                for key, value in values.items():
                    setattr(row, key, value)
                events += webhook_events(GuestUpdated(rows.room(row)), now)
            await write_outbox(session, events)
        return [rows.room(row) for row in owned]


PAGE_VIEWS = "pageViews"  # the key of the room's ``extra`` (and so of its ``metadata``) holding them


class PageViewSql(SqlSessions):
    async def record_page_view(self, room_id: str, view: PageView, *, keep: int) -> Room | None:
        """Read-modify-write of the room's ``extra`` in one transaction that holds the room's
        row: concurrent views of one room (a visitor's tabs) each land, none overwrites another.

        PostgreSQL: ``SELECT ... FOR UPDATE`` locks the row. SQLite ignores ``FOR UPDATE`` and
        its driver only begins a transaction at the first write, so a read first would not even
        be in the transaction: a no-op write of the row comes first and takes SQLite's write
        lock (waiting for other writers, as the busy timeout allows) before the list is read."""
        async with self._tx() as session:
            if self.engine.dialect.name == "sqlite":
                await session.execute(
                    update(RoomRow)
                    .where(RoomRow.id == room_id)
                    .values(extra=RoomRow.extra)
                    .execution_options(synchronize_session=False)
                )
            row = await _locked_room(session, room_id)
            if row is None:
                return None
            extra = dict(row.extra or {})
            views = [entry for entry in extra.get(PAGE_VIEWS) or () if isinstance(entry, dict)]
            views.append(wire.page_view(view))
            extra[PAGE_VIEWS] = views[-keep:]
            row.extra = extra
        return rows.room(row)


class ContactSql(SqlSessions):
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
                    id=new_id(),
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
        return rows.contact(row), created

    async def get_contact(self, contact_id: str) -> Contact | None:
        async with self._tx() as session:
            row = await session.get(ContactRow, contact_id)
        return None if row is None else rows.contact(row)

    async def link_contact(self, room_id: str, contact: Contact, now: int) -> Room | None:
        """Link the room to the contact; the first conversion time is kept on repeats.

        Webhook events: ``guest.converted`` when the room's contact changes (its first
        conversion, or a conversion under another email); ``guest.updated`` when only the
        room's email or phone changes (a repeat bringing a new phone); nothing for a pure repeat."""
        async with self._tx() as session:
            row = await _locked_room(session, room_id)
            if row is None:
                return None
            before = (row.customer_id, row.email, row.phone)
            row.customer_id = contact.id
            if row.converted_at is None:
                row.converted_at = now
            row.email = contact.email
            if contact.phone is not None:
                row.phone = contact.phone
            room = rows.room(row)
            if before[0] != contact.id:
                await write_outbox(session, webhook_events(GuestConverted(room, contact), now))
            elif before[1:] != (row.email, row.phone):
                await write_outbox(session, webhook_events(GuestUpdated(room), now))
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
