"""Satisfaction ratings (CSAT, issue 17): the visitor of a closed conversation rates it 1 to 5,
with an optional comment. A rating again in the same closure replaces the earlier one; after a
reopen and a new close the room starts unrated (``domain.ratings``).

The caller (``realtime.workflow_events``) found the room through ``room_for``, so it is the
caller's own room or one their staff token covers; staff are refused here: only the visitor
rates. Dashboards get ``chat:room-updated`` with the room's ``rating``, webhooks ``room.rated``.
"""

from __future__ import annotations

from chatserver.domain.clock import Clock
from chatserver.domain.events import RoomRated
from chatserver.domain.models import Principal, Role, Room, RoomStatus
from chatserver.domain.ratings import clean_comment, current_rating
from chatserver.ports.business_store import RatingStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.dispatch import Dispatcher

NOT_CLOSED = "only a closed conversation can be rated"


def require_rater(principal: Principal) -> None:
    """Staff do not rate their own conversations: only the room's guest or customer does."""
    if principal.role is Role.STAFF:
        raise ChatError(ErrorCode.FORBIDDEN, "only the room's visitor can rate the conversation", field="roomId")


class Ratings:
    def __init__(self, *, store: RatingStore, dispatcher: Dispatcher, clock: Clock) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock

    async def rate(self, principal: Principal, room: Room, score: int, comment: str | None) -> Room:
        """Store the rating of ``room``'s current closure and announce it; returns the room as
        stored (its ``rating`` is this one). An open room is ``invalid_payload`` on ``roomId``:
        the request is well formed but names a room that cannot be rated now."""
        require_rater(principal)
        if room.status != RoomStatus.CLOSED:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, NOT_CLOSED, field="roomId")
        updated = await self.store.rate_room(room.id, score, clean_comment(comment), self.clock())
        rating = None if updated is None else current_rating(updated)
        if updated is None or rating is None:  # reopened (or erased) since it was read
            raise ChatError(ErrorCode.INVALID_PAYLOAD, NOT_CLOSED, field="roomId")
        await self.dispatcher.publish(RoomRated(updated, rating))
        return updated
