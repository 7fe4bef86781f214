"""The analytics report as SQL that runs unchanged on SQLite and PostgreSQL.

Counts are conditional sums. The per-day series groups rooms by ``created_at // 86400000``
(whole UTC days since the epoch: integer division of a BIGINT on both databases). The median time
to first staff reply uses window functions (``ROW_NUMBER`` / ``COUNT`` over the ordered waits,
the middle one or two averaged), which both databases have — no percentile extension needed.

Erased conversations (issue 16) still count: their per-day sums (``erased_activity.py``) are
added for every day the window touches.

Satisfaction ratings (``csat``) are counted by when they were given (``room_ratings.rated_at``
in the window), as messages are by when they were sent: a rating belongs to the moment of its
closure, not to the room's creation, and every closure's rating counts once.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.analytics_counts import room_counts
from chatserver.adapters.sql.erased_activity import (
    MESSAGE_COUNTS,
    add_days,
    erased_csat,
    erased_days,
    erased_totals,
)
from chatserver.adapters.sql.models import VISITOR_SENDERS, MessageRow, RoomRatingRow, RoomRow
from chatserver.domain.business import DAY_MS, Analytics, DayCounts
from chatserver.domain.ratings import Csat


async def daily_query(session: AsyncSession, business_id: str, from_ms: int, to_ms: int) -> list[DayCounts]:
    """Room counts per UTC day of creation in ``[from_ms, to_ms)``; days without rooms are absent."""
    day = (RoomRow.created_at // DAY_MS).label("day")
    found = (
        await session.execute(
            select(day, *room_counts())
            .where(RoomRow.business_id == business_id, RoomRow.created_at >= from_ms, RoomRow.created_at < to_ms)
            .group_by(day)
            .order_by(day)
        )
    ).all()
    live = {counts.day: counts for counts in map(rows.day_counts, found)}
    erased = await erased_days(session, business_id, from_ms, to_ms)
    return [add_days(live.get(day, DayCounts(day)), erased.get(day)) for day in sorted(live.keys() | erased.keys())]


async def csat_query(session: AsyncSession, business_id: str, from_ms: int, to_ms: int) -> Csat:
    """Ratings given in ``[from_ms, to_ms)``, by score."""
    found = await session.execute(
        select(RoomRatingRow.score, func.count())
        .where(
            RoomRatingRow.business_id == business_id,
            RoomRatingRow.rated_at >= from_ms,
            RoomRatingRow.rated_at < to_ms,
        )
        .group_by(RoomRatingRow.score)
    )
    return Csat.of({int(score): int(n) for score, n in found.all()})


async def analytics_query(session: AsyncSession, business_id: str, from_ms: int, to_ms: int) -> Analytics:
    in_window = and_(RoomRow.business_id == business_id, RoomRow.created_at >= from_ms, RoomRow.created_at < to_ms)
    rooms = (await session.execute(select(*room_counts()).where(in_window))).one()
    erased = await erased_totals(session, business_id, from_ms, to_ms)

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
    by_type = {str(kind): int(n) for kind, n in by_type_rows}
    for kind, column in MESSAGE_COUNTS.items():
        if erased[column]:
            by_type[kind] = by_type.get(kind, 0) + erased[column]
    return Analytics(
        from_ms=from_ms,
        to_ms=to_ms,
        guest_rooms=int(rooms.guest_rooms) + erased["guest_rooms"],
        guest_rooms_with_email=int(rooms.guest_rooms_with_email) + erased["guest_rooms_with_email"],
        converted=int(rooms.converted) + erased["converted"],
        authenticated_rooms=int(rooms.authenticated_rooms) + erased["authenticated_rooms"],
        messages_by_sender_type=by_type,
        faq_answers=int(faq_answers or 0) + erased["faq_answers"],
        median_first_response_ms=None if median is None else round(float(median)),
        rooms_with_staff_reply=int(replied or 0),
        csat=(await csat_query(session, business_id, from_ms, to_ms)).plus(erased_csat(erased)),
    )
