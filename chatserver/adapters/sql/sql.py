"""``Store`` on SQLAlchemy 2 async: one short transaction per operation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import ColumnElement, cast, exists, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.append_plan import AppendPlan
from chatserver.adapters.sql.append_sql import append_statements
from chatserver.adapters.sql.business_sql import ContactSql, PageViewSql, WorkflowSql
from chatserver.adapters.sql.canned_sql import CannedSql
from chatserver.adapters.sql.connect_plan import ConnectPlans, owner_key
from chatserver.adapters.sql.connect_sql import connect_statements
from chatserver.adapters.sql.cursors import decode_cursor, encode_cursor
from chatserver.adapters.sql.engine import sqlite_settings
from chatserver.adapters.sql.faq_sql import FaqSql
from chatserver.adapters.sql.models import BusinessRow, GuestRow, RoomRow, new_id
from chatserver.adapters.sql.plan import MakePlan, Refused, always, never
from chatserver.adapters.sql.rating_sql import RatingSql
from chatserver.adapters.sql.sqlite_writer import SqliteWriter
from chatserver.adapters.sql.staff_sql import StaffSql
from chatserver.adapters.sql.write_health import WriteHealth
from chatserver.domain.business import RoomFilter
from chatserver.domain.models import Business, GuestSession, Message, NewMessage, NewRoom, Room
from chatserver.ports.store import AppendResult, OpenedRoom, Prepare, RoomPage, StoreError

if TYPE_CHECKING:
    from chatserver.adapters.sql.pg_append import PgAppender

PREVIEW_CHARS = 200
T = TypeVar("T")


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


class SqlStore(FaqSql, CannedSql, WorkflowSql, PageViewSql, RatingSql, ContactSql, StaffSql):
    """The production ``Store``. Driver exceptions become ``StoreError`` at this boundary
    (``sessions.py``).

    Conversations are here; the business features are parts it is assembled from: FAQs and
    settings (``faq_sql.py``), the room workflow and contacts (``business_sql.py``), staff
    accounts and analytics (``staff_sql.py``)."""

    def __init__(self, engine: AsyncEngine, *, on_outbox: Callable[[], None] | None = None) -> None:
        super().__init__(engine, on_outbox=on_outbox)
        self.writes = WriteHealth()  # /readyz: not ready while the send path's writes fail
        # the send path bypasses SQLAlchemy at run time (append_plan.py): on a SQLite file a
        # writer thread, on PostgreSQL a writer task on asyncpg, both with group commit
        self._appender: SqliteWriter | PgAppender = _appender(engine, self._outbox_written)
        # and so do the steps every connection takes (connect_plan.py)
        backend = engine.url.get_backend_name()
        self._plans = ConnectPlans(connect_statements(backend), new_id=new_id)
        self._append = AppendPlan(append_statements(backend), new_id=new_id, preview_chars=PREVIEW_CHARS)

    async def _run(
        self,
        plan: MakePlan[T],
        *,
        on_conflict: MakePlan[T | None] | None = None,
        changed: Callable[[T], bool] = always,
        fixes_order: bool = False,
    ) -> T:
        """A plan on the send path's driver; a refusal raises what the plan refused with. Each
        outcome goes to ``writes`` (a read, ``changed=never``, reports failures, not successes:
        reads keep working on a database that refuses writes)."""
        try:
            result = await self._appender.run(plan, on_conflict=on_conflict, changed=changed, fixes_order=fixes_order)
        except Refused as refused:
            self.writes.succeeded()  # the database answered; the plan said no
            raise refused.cause from None
        except StoreError as exc:
            self.writes.failed(exc)
            raise
        if changed is not never:
            self.writes.succeeded()
        return result

    def _outbox_written(self) -> None:
        if self.on_outbox is not None:
            self.on_outbox()

    async def ping(self) -> None:
        async with self._tx() as session:
            await session.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self._appender.close()
        await self.engine.dispose()

    # businesses

    async def create_business(self, name: str, now: int) -> Business:
        row = BusinessRow(id=new_id(), name=name, created_at=now)
        async with self._tx() as session:
            session.add(row)
        return rows.business(row)

    async def get_business(self, business_id: str) -> Business | None:
        async with self._tx() as session:
            row = await session.get(BusinessRow, business_id)
        return None if row is None else rows.business(row)

    async def list_businesses(self) -> list[Business]:
        """Oldest first (the operator's ``business list``)."""
        async with self._tx() as session:
            found = await session.execute(select(BusinessRow).order_by(BusinessRow.created_at, BusinessRow.id))
            return [rows.business(row) for row in found.scalars()]

    # guests

    async def create_guest(self, guest_id: str, session_hash: str, user_agent: str, now: int) -> GuestSession:
        guest = GuestSession(guest_id, user_agent[:512], now, now, False)
        return await self._run(lambda: self._plans.create_guest(guest, session_hash))

    async def find_guest(self, session_hash: str) -> GuestSession | None:
        async with self._tx() as session:
            row = (
                await session.execute(select(GuestRow).where(GuestRow.session_hash == session_hash))
            ).scalar_one_or_none()
        return None if row is None else rows.guest(row)

    async def resume_guest(self, session_hash: str, now: int, timeout_ms: int) -> GuestSession | None:
        return await self._run(lambda: self._plans.resume_guest(session_hash, now, timeout_ms))

    async def touch_guest(self, guest_id: str, now: int) -> None:
        await self._run(lambda: self._plans.touch_guest(guest_id, now))

    # rooms

    async def get_room(self, room_id: str) -> Room | None:
        return await self._run(lambda: self._plans.get_room(room_id), changed=never)

    async def count_guest_rooms(self, guest_id: str) -> int:
        async with self._tx() as session:
            count = await session.scalar(select(func.count()).select_from(RoomRow).where(RoomRow.guest_id == guest_id))
        return int(count or 0)

    async def create_room(self, new: NewRoom, now: int, *, max_guest_rooms: int | None = None) -> Room:
        """Create, or return the active room another request created first (unique index)."""
        return (await self.open_room(new, now, max_guest_rooms=max_guest_rooms)).room

    async def open_room(self, new: NewRoom, now: int, *, max_guest_rooms: int | None = None) -> OpenedRoom:
        plans, key = self._plans, owner_key(new.guest_id, new.user_id)
        return await self._run(
            lambda: plans.open_room(new, now, max_guest_rooms),
            on_conflict=lambda: plans.find_active_room(new.business_id, key),
            changed=_created,
        )

    async def list_rooms(
        self, business_id: str, *, limit: int, cursor: str | None, filters: RoomFilter | None = None
    ) -> RoomPage:
        query = select(RoomRow).where(RoomRow.business_id == business_id)
        if filters is not None:
            query = query.where(*room_filter_clauses(filters, self.engine.dialect.name))
        if cursor:
            at, room_id = decode_cursor(cursor)
            query = query.where(or_(RoomRow.activity_at < at, (RoomRow.activity_at == at) & (RoomRow.id < room_id)))
        query = query.order_by(RoomRow.activity_at.desc(), RoomRow.id.desc()).limit(limit + 1)
        async with self._tx() as session:
            found: Sequence[RoomRow] = (await session.execute(query)).scalars().all()
        page = found[:limit]
        next_cursor = encode_cursor(page[-1].activity_at, page[-1].id) if len(found) > limit else None
        return RoomPage(rooms=[rows.room(row) for row in page], next_cursor=next_cursor)

    # messages

    async def append_message(self, new: NewMessage, now: int, *, prepare: Prepare | None = None) -> AppendResult:
        """Allocate the next ``seq`` and insert in one transaction (the room row lock orders writers).

        A repeated ``clientMsgId`` from the same sender returns the stored message, found either
        before inserting or through the unique index when two retries race. Run on the driver
        directly (``append_plan.py``), group-committed: SQLite's writer thread, PostgreSQL's
        writer task (``pg_writer.py``).
        """
        plan = self._append
        return await self._run(
            lambda: plan.append(new, now, prepare),
            on_conflict=lambda: plan.existing(new),
            changed=_created_message,
            fixes_order=True,
        )

    async def list_messages(
        self, room_id: str, *, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[Message]:
        """After ``after_seq``: the oldest ``limit`` following it. Otherwise the newest ``limit``
        (before ``before_seq`` if given). Always returned oldest first."""
        plan = self._plans.list_messages
        return await self._run(
            lambda: plan(room_id, before_seq=before_seq, after_seq=after_seq, limit=limit), changed=never
        )


def _created(opened: OpenedRoom) -> bool:
    return opened.created


def _created_message(appended: AppendResult) -> bool:
    return appended.created


def _appender(engine: AsyncEngine, on_outbox: Callable[[], None]) -> SqliteWriter | PgAppender:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("SQLite needs a database file (the writer thread opens its own connection)")
        synchronous = sqlite_settings(engine).get("synchronous", "FULL")
        return SqliteWriter(url.database, on_outbox=on_outbox, synchronous=synchronous)
    from chatserver.adapters.sql.pg_append import PgAppender  # asyncpg is the postgres extra

    return PgAppender.for_engine(engine, on_outbox=on_outbox)
