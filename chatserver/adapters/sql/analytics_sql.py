"""The analytics report as SQL that runs unchanged on SQLite and PostgreSQL.

Counts are conditional sums. The per-day series groups rooms by ``created_at // 86400000``
(whole UTC days since the epoch: integer division of a BIGINT on both databases). The median time
to first staff reply uses window functions (``ROW_NUMBER`` / ``COUNT`` over the ordered waits,
the middle one or two averaged), which both databases have — no percentile extension needed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.models import VISITOR_SENDERS, MessageRow, RoomRow
from chatserver.domain.business import DAY_MS, Analytics, DayCounts


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _room_counts() -> tuple[ColumnElement[int], ...]:
    """Guest rooms, guest rooms with an email, converted guest rooms, authenticated rooms:
    labelled with ``DayCounts``' field names (``rows.day_counts``)."""
    return (
        _count_if(RoomRow.is_guest.is_(True)).label("guest_rooms"),
        _count_if(and_(RoomRow.is_guest.is_(True), RoomRow.email.is_not(None))).label("guest_rooms_with_email"),
        _count_if(and_(RoomRow.is_guest.is_(True), RoomRow.customer_id.is_not(None))).label("converted"),
        _count_if(RoomRow.is_guest.is_(False)).label("authenticated_rooms"),
    )


async def daily_query(session: AsyncSession, business_id: str, from_ms: int, to_ms: int) -> list[DayCounts]:
    """Room counts per UTC day of creation in ``[from_ms, to_ms)``; days without rooms are absent."""
    day = (RoomRow.created_at // DAY_MS).label("day")
    found = (
        await session.execute(
            select(day, *_room_counts())
            .where(RoomRow.business_id == business_id, RoomRow.created_at >= from_ms, RoomRow.created_at < to_ms)
            .group_by(day)
            .order_by(day)
        )
    ).all()
    return [rows.day_counts(row) for row in found]


async def analytics_query(session: AsyncSession, business_id: str, from_ms: int, to_ms: int) -> Analytics:
    in_window = and_(RoomRow.business_id == business_id, RoomRow.created_at >= from_ms, RoomRow.created_at < to_ms)
    rooms = (await session.execute(select(*_room_counts()).where(in_window))).one()

    message_window = and_(
        RoomRow.business_id == business_id, MessageRow.created_at >= from_ms, MessageRow.created_at < to_ms
    )
    by_type_rows = (
        await session.execute(
            select(MessageRow.sender_type, func.count())
            .join(RoomRow, RoomRow.id == MessageRow.room_id)
            .where(message_window)
            .group_by(MessageRow.sender_type)
        )
    ).all()
    faq_answers = await session.scalar(
        select(func.count())
        .select_from(MessageRow)
        .join(RoomRow, RoomRow.id == MessageRow.room_id)
        .where(message_window, MessageRow.faq_id.is_not(None))
    )

    # per room created in the window: first visitor message, then the first staff message after it
    visitor = MessageRow.__table__.alias("v")
    staff = MessageRow.__table__.alias("s")
    first_visitor = (
        select(func.min(visitor.c.created_at))
        .where(visitor.c.room_id == RoomRow.id, visitor.c.sender_type.in_(VISITOR_SENDERS))
        .scalar_subquery()
    )
    firsts = select(RoomRow.id.label("room_id"), first_visitor.label("first_visitor")).where(in_window).subquery()
    first_staff = (
        select(func.min(staff.c.created_at))
        .where(
            staff.c.room_id == firsts.c.room_id,
            staff.c.sender_type == "staff",
            staff.c.created_at >= firsts.c.first_visitor,
        )
        .scalar_subquery()
    )
    waits = (
        select((first_staff - firsts.c.first_visitor).label("wait"))
        .where(firsts.c.first_visitor.is_not(None))
        .subquery()
    )
    ranked = (
        select(
            waits.c.wait,
            func.row_number().over(order_by=waits.c.wait).label("rn"),
            func.count().over().label("n"),
        )
        .where(waits.c.wait.is_not(None))
        .subquery()
    )
    half_low = (ranked.c.n + 1) // 2  # integer division on both databases
    half_high = (ranked.c.n + 2) // 2
    median_row = (
        await session.execute(
            select(func.avg(ranked.c.wait), func.max(ranked.c.n)).where(ranked.c.rn.in_([half_low, half_high]))
        )
    ).one()
    median, replied = median_row
    return Analytics(
        from_ms=from_ms,
        to_ms=to_ms,
        guest_rooms=int(rooms.guest_rooms),
        guest_rooms_with_email=int(rooms.guest_rooms_with_email),
        converted=int(rooms.converted),
        authenticated_rooms=int(rooms.authenticated_rooms),
        messages_by_sender_type={str(kind): int(n) for kind, n in by_type_rows},
        faq_answers=int(faq_answers or 0),
        median_first_response_ms=None if median is None else round(float(median)),
        rooms_with_staff_reply=int(replied or 0),
    )
