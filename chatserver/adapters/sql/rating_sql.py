"""Satisfaction ratings on SQLAlchemy (``RatingStore``, issue 17), part of ``SqlStore``.

One transaction writes the room's latest rating, the closure's row in ``room_ratings`` (one per
``(room_id, closed_at)``: a new rating of the same closure replaces it) and the ``room.rated``
webhook event. The room's UPDATE comes first and only matches a closed room: it takes the row's
lock on both databases (SQLite's write lock, PostgreSQL's row lock), so a concurrent reopen
either happens before (nothing is rated) or waits for the rating to commit.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, update

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.models import RoomRatingRow, RoomRow, new_id
from chatserver.adapters.sql.outbox import write_outbox
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.adapters.sql.upsert import upsert_insert
from chatserver.domain.events import RoomRated
from chatserver.domain.models import Room, RoomStatus
from chatserver.domain.ratings import current_rating
from chatserver.usecases.dispatch import webhook_events

RATINGS = cast(Table, RoomRatingRow.__table__)


class RatingSql(SqlSessions):
    async def rate_room(self, room_id: str, score: int, comment: str | None, now: int) -> Room | None:
        """Rate the room's current closure; ``None`` when no closed room has this id."""
        async with self._tx() as session:
            row = (
                await session.execute(
                    update(RoomRow)
                    .where(RoomRow.id == room_id, RoomRow.status == RoomStatus.CLOSED.value)
                    .values(
                        rating_score=score, rating_comment=comment, rated_at=now, rated_closure_at=RoomRow.closed_at
                    )
                    .returning(RoomRow)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            room = rows.room(row)
            rating = current_rating(room)
            if rating is None:  # closed without a closed_at: nothing a rating could belong to
                return None
            values = {
                "id": new_id(),
                "business_id": room.business_id,
                "room_id": room.id,
                "closed_at": rating.closed_at,
                "score": score,
                "comment": comment,
                "rated_at": now,
            }
            insert = upsert_insert(RATINGS, self.engine.dialect.name).values(values)
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=["room_id", "closed_at"],
                    set_={"score": score, "comment": comment, "rated_at": now},
                )
            )
            await write_outbox(session, webhook_events(RoomRated(room, rating), now))
        return room
