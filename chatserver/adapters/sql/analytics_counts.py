"""The room counts of the analytics report as SQL expressions: what the report sums over live
rooms (``analytics_sql.py``) and what an erase keeps of the rooms it deletes
(``erased_activity.py``) must be the same four numbers, so they are written once."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func

from chatserver.adapters.sql.models import RoomRow


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def room_counts() -> tuple[ColumnElement[int], ...]:
    """Guest rooms, guest rooms with an email, converted guest rooms, authenticated rooms:
    labelled with ``DayCounts``' field names (``rows.day_counts``)."""
    return (
        count_if(RoomRow.is_guest.is_(True)).label("guest_rooms"),
        count_if(and_(RoomRow.is_guest.is_(True), RoomRow.email.is_not(None))).label("guest_rooms_with_email"),
        count_if(and_(RoomRow.is_guest.is_(True), RoomRow.customer_id.is_not(None))).label("converted"),
        count_if(RoomRow.is_guest.is_(False)).label("authenticated_rooms"),
    )
