"""Realtime handlers of the staff workflow events, registered in the gateway's dispatch table:
``chat:typing``, ``chat:read``, ``chat:close-room``, ``chat:reopen-room``, ``chat:assign``,
``chat:update-guest-info``, and the visitor's ``chat:page-view`` and ``chat:rate``. Rules live in
``staffops.Workflow``, ``usecases.page_views`` and ``usecases.ratings``; this only maps frames to
them (and keeps the per-connection throttles, which only the connection's instance can see)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from chatserver.domain.clock import Clock
from chatserver.domain.models import Principal, Role, Room, RoomStatus
from chatserver.domain.pages import PAGE_VIEW_INTERVAL_MS
from chatserver.protocol import ChatError, ErrorCode, wire
from chatserver.usecases.page_views import PageViews, clean_url, require_visitor
from chatserver.usecases.ratings import Ratings, require_rater
from chatserver.usecases.workflow import TYPING_INTERVAL_MS, Workflow

if TYPE_CHECKING:
    from chatserver.realtime.gateway import Client

RoomFor = Callable[[Principal, str], Awaitable[Room]]
"""The room, if the principal may take part in it (``ChatService.room_for``)."""


class WorkflowEvents:
    def __init__(
        self, *, room_for: RoomFor, workflow: Workflow, pages: PageViews, ratings: Ratings, clock: Clock
    ) -> None:
        self.room_for = room_for
        self.workflow = workflow
        self.pages = pages
        self.ratings = ratings
        self.clock = clock  # the typing and page-view throttles'

    async def typing(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """Relayed to the room, never stored. ``isTyping: true`` is relayed at most once per
        ``TYPING_INTERVAL_MS`` per connection and room; a change to false always goes through."""
        room = await self.room_for(client.principal, data["roomId"])
        is_typing = bool(data["isTyping"])
        now = self.clock()
        last = client.typing_at.get(room.id)
        if is_typing and last is not None and now - last < TYPING_INTERVAL_MS:
            return wire.typing_relayed(room.id, False)
        if is_typing:
            client.typing_at[room.id] = now
        else:
            client.typing_at.pop(room.id, None)
        await self.workflow.typing(client.principal, room, is_typing)
        return wire.typing_relayed(room.id, True)

    async def read(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        room = await self.room_for(client.principal, data["roomId"])
        updated = await self.workflow.read(client.principal, room, data["seq"])
        if client.principal.role is Role.STAFF:
            return wire.read_position(room.id, updated.staff_read_seq, updated.unread_by_staff)
        return wire.read_position(room.id, updated.visitor_read_seq, updated.unread_by_visitor)

    async def close_room(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        room = await self.room_for(client.principal, data["roomId"])
        return wire.room_reply(await self.workflow.set_status(client.principal, room, RoomStatus.CLOSED))

    async def reopen_room(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        room = await self.room_for(client.principal, data["roomId"])
        return wire.room_reply(await self.workflow.set_status(client.principal, room, RoomStatus.OPEN))

    async def assign(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        room = await self.room_for(client.principal, data["roomId"])
        return wire.room_reply(await self.workflow.assign(client.principal, room, data["staffId"]))

    async def update_guest_info(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        rooms = await self.workflow.update_visitor_info(
            client.principal, email=data.get("email"), phone=data.get("phone"), user_name=data.get("userName")
        )
        return wire.rooms_reply(rooms)

    async def page_view(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """The visitor's page, for ``roomId`` or else every room the connection follows (a
        widget follows its one room). At most one per ``PAGE_VIEW_INTERVAL_MS`` per connection:
        the widget sends on every navigation, throttled; more is ``rate_limited``. Only an
        accepted view counts towards the rate, so a refused one can be corrected at once."""
        require_visitor(client.principal)
        clean_url(data["url"])
        room_id = data.get("roomId")
        if room_id is None and not client.rooms:
            raise ChatError(ErrorCode.NOT_FOUND, "this connection follows no room: join one first", field="roomId")
        now = self.clock()
        last = client.page_view_at
        if last is not None and now - last < PAGE_VIEW_INTERVAL_MS:
            wait_ms = last + PAGE_VIEW_INTERVAL_MS - now
            raise ChatError(ErrorCode.RATE_LIMITED, "at most one page view a second", retry_after_ms=wait_ms)
        room_ids = [room_id] if room_id is not None else sorted(client.rooms)
        rooms = [await self.room_for(client.principal, each) for each in room_ids]
        client.page_view_at = now
        updated = await self.pages.record(client.principal, rooms, data["url"], data.get("title"))
        return wire.page_views_recorded(room.id for room in updated)

    async def rate(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """The visitor rates the closed room; the ack is the room, whose ``rating`` is this one.
        Staff are refused before the room is looked up (as for page views)."""
        require_rater(client.principal)
        room = await self.room_for(client.principal, data["roomId"])
        rated = await self.ratings.rate(client.principal, room, data["score"], data.get("comment"))
        return wire.room_reply(rated)
