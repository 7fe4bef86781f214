"""Analytics that outlive an erase (issue 16): before a visitor's rooms and messages are deleted,
what the report counts of them is added to ``erased_activity``, per business and UTC day, and the
report adds those counts back (``analytics_sql.py``).

Only sums are kept — rooms by kind, messages by sender type, FAQ answers, satisfaction ratings
by score (on the day they were given; never their comments) — never an id, a time
finer than the day, or one row per visitor, so nothing there relates to a person. What cannot
be summed that way stays with the live rooms: the median first-response time and the number of
rooms with a staff reply leave with the erased conversations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql.analytics_counts import room_counts
from chatserver.adapters.sql.models import ErasedActivityRow, MessageRow, RoomRatingRow, RoomRow
from chatserver.adapters.sql.upsert import upsert_insert
from chatserver.domain.business import DAY_MS, DayCounts
from chatserver.domain.ratings import SCORES, Csat

ROOM_COUNTS = ("guest_rooms", "guest_rooms_with_email", "converted", "authenticated_rooms")
# messages.sender_type -> its column (the report's messagesBySenderType keys)
MESSAGE_COUNTS = {
    "guest": "guest_messages",
    "customer": "customer_messages",
    "staff": "staff_messages",
    "system": "system_messages",
}
# room_ratings.score -> its column (the report's csat distribution)
CSAT_COUNTS = {score: f"csat_{score}" for score in SCORES}
COUNTS = (*ROOM_COUNTS, *MESSAGE_COUNTS.values(), "faq_answers", *CSAT_COUNTS.values())
TABLE = cast(Table, ErasedActivityRow.__table__)


async def record_erased(session: AsyncSession, dialect: str, business_id: str, owned: ColumnElement[bool]) -> None:
    """Add the rooms matched by ``owned`` and their messages to the business's day counts."""
    per_day: defaultdict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    room_day = (RoomRow.created_at // DAY_MS).label("day")
    for row in (await session.execute(select(room_day, *room_counts()).where(owned).group_by(room_day))).all():
        for name in ROOM_COUNTS:
            per_day[int(row.day)][name] += int(getattr(row, name))
    owned_ids = select(RoomRow.id).where(owned)
    message_day = (MessageRow.created_at // DAY_MS).label("day")
    in_rooms = MessageRow.room_id.in_(owned_ids)
    found = await session.execute(
        select(message_day, MessageRow.sender_type, func.count(), func.count(MessageRow.faq_id))
        .where(in_rooms)
        .group_by(message_day, MessageRow.sender_type)
    )
    for day, sender_type, messages, faq_answers in found.all():
        counts = per_day[int(day)]
        column = MESSAGE_COUNTS.get(str(sender_type))
        if column is not None:
            counts[column] += int(messages)
        counts["faq_answers"] += int(faq_answers)
    rated_day = (RoomRatingRow.rated_at // DAY_MS).label("day")
    ratings = await session.execute(
        select(rated_day, RoomRatingRow.score, func.count())
        .where(RoomRatingRow.room_id.in_(owned_ids))
        .group_by(rated_day, RoomRatingRow.score)
    )
    for day, score, n in ratings.all():
        rated = CSAT_COUNTS.get(int(score))
        if rated is not None:
            per_day[int(day)][rated] += int(n)
    if not per_day:
        return
    values = [{"business_id": business_id, "day": day, **counts} for day, counts in per_day.items()]
    insert = upsert_insert(TABLE, dialect).values(values)
    added = {name: TABLE.c[name] + insert.excluded[name] for name in COUNTS}
    await session.execute(insert.on_conflict_do_update(index_elements=["business_id", "day"], set_=added))


def erased_csat(totals: Mapping[str, int]) -> Csat:
    """The ratings among ``erased_totals``."""
    return Csat.of({score: totals[column] for score, column in CSAT_COUNTS.items()})


def _days(business_id: str, from_ms: int, to_ms: int) -> ColumnElement[bool]:
    """The days ``[from_ms, to_ms)`` touches: erased activity is only known to the day."""
    return and_(
        ErasedActivityRow.business_id == business_id,
        ErasedActivityRow.day >= from_ms // DAY_MS,
        ErasedActivityRow.day <= (to_ms - 1) // DAY_MS,
    )


async def erased_totals(session: AsyncSession, business_id: str, from_ms: int, to_ms: int) -> Mapping[str, int]:
    """The counts of erased activity on the days of the window, summed."""
    sums = [func.coalesce(func.sum(TABLE.c[name]), 0).label(name) for name in COUNTS]
    row = (await session.execute(select(*sums).where(_days(business_id, from_ms, to_ms)))).one()
    return {name: int(getattr(row, name)) for name in COUNTS}


async def erased_days(session: AsyncSession, business_id: str, from_ms: int, to_ms: int) -> dict[int, DayCounts]:
    """The room counts of erased conversations, per day of the window that has any."""
    found = await session.execute(
        select(ErasedActivityRow.day, *(TABLE.c[name] for name in ROOM_COUNTS)).where(
            _days(business_id, from_ms, to_ms)
        )
    )
    return {int(row.day): _day_counts(row) for row in found.all()}


def _day_counts(row: Row[Any]) -> DayCounts:
    return DayCounts(int(row.day), *(int(getattr(row, name)) for name in ROOM_COUNTS))


def add_days(live: DayCounts, erased: DayCounts | None) -> DayCounts:
    if erased is None:
        return live
    return DayCounts(live.day, *(getattr(live, name) + getattr(erased, name) for name in ROOM_COUNTS))
