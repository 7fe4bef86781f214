"""Business notifications: the pushes every staff connection of a business receives (the
dashboards' live room list), with message-driven ``chat:room-updated`` coalesced per room.

Which change is announced here is decided by ``chatserver.usecases.dispatch``; this module
only knows how to send the business channel's two pushes without flooding it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from chatserver.domain.clock import Clock, now_ms
from chatserver.domain.models import Room
from chatserver.domain.pages import PageView
from chatserver.fanout.hub import Hub
from chatserver.protocol import events, wire
from chatserver.usecases.background import Background

log = logging.getLogger("chatserver.staffops")

ROOM_UPDATE_COALESCE_MS = 1000  # message-driven chat:room-updated: at most one per room in this time


class Notifier:
    """Business notifications: every staff connection of the business, on every instance.

    Best effort by design: the change is stored before it is announced, and a dashboard that
    missed one (broker outage) gets the truth from ``GET /api/chat/rooms``.

    New messages are the one frequent source of ``chat:room-updated``: every message of a busy
    room would otherwise reach every staff connection of the business twice (the message to
    the room's members, the list row to all). ``message_activity`` sends the first update of a
    room at once and coalesces the ones within ``coalesce_ms`` after it into one update with
    the newest state at the end of that time. Every other change (status, assignment, read
    receipts, contact details) is announced at once and replaces a pending coalesced update."""

    def __init__(self, hub: Hub, *, coalesce_ms: int = ROOM_UPDATE_COALESCE_MS, clock: Clock = now_ms) -> None:
        self.hub = hub
        self.coalesce_ms = coalesce_ms
        self.clock = clock
        self._sent_at: dict[str, int] = {}  # room -> last update sent, oldest first (pruned)
        self._pending: dict[str, tuple[Room, asyncio.TimerHandle]] = {}
        self._flushing = Background()

    async def room_created(self, room: Room) -> None:
        await self._publish(room.business_id, events.ROOM_CREATED, wire.room(room))

    async def room_updated(self, room: Room, *, current_page: PageView | None = None) -> None:
        """At once; a coalesced update still pending for the room is older: dropped — unless it
        carries a newer message (a change read just before a message committed, announced just
        after it), then it still goes out at the end of its window, so the row ends newest.
        ``current_page``: the page view this update announces (``currentPage``)."""
        pending = self._pending.get(room.id)
        if pending is not None and pending[0].last_seq <= room.last_seq:
            del self._pending[room.id]
            pending[1].cancel()
        self._mark_sent(room.id)
        await self._publish(room.business_id, events.ROOM_UPDATED, wire.room_updated(room, current_page))

    async def message_activity(self, room: Room) -> None:
        """A message changed the room's list row (preview, unread count)."""
        if self.coalesce_ms <= 0:
            await self.room_updated(room)
            return
        pending = self._pending.get(room.id)
        if pending is not None:  # the update at the end of the window will carry the newest state
            if room.last_seq >= pending[0].last_seq:
                self._pending[room.id] = (room, pending[1])
            return
        last = self._sent_at.get(room.id)
        now = self.clock()
        if last is None or now - last >= self.coalesce_ms:
            await self.room_updated(room)
            return
        delay_s = (last + self.coalesce_ms - now) / 1000
        handle = asyncio.get_running_loop().call_later(delay_s, self._flush, room.id)
        self._pending[room.id] = (room, handle)

    def _flush(self, room_id: str) -> None:
        """The window ended: its newest row goes out. It counts as sent from now, before the
        task publishing it runs, so a message arriving in between waits for the next window
        instead of overtaking this older row (which would then leave the list stale)."""
        pending = self._pending.pop(room_id, None)
        if pending is None:
            return
        room = pending[0]
        self._mark_sent(room_id)
        self._flushing.spawn(self._publish(room.business_id, events.ROOM_UPDATED, wire.room_updated(room)))

    def _mark_sent(self, room_id: str) -> None:
        now = self.clock()
        self._sent_at.pop(room_id, None)
        self._sent_at[room_id] = now
        # rooms quiet for longer than the window need no entry: drop them, oldest first
        while self._sent_at:
            oldest = next(iter(self._sent_at))
            if now - self._sent_at[oldest] < self.coalesce_ms:
                break
            del self._sent_at[oldest]

    async def _publish(self, business_id: str, event: str, data: dict[str, Any]) -> None:
        try:
            await self.hub.publish_business_event(business_id, event, data)
        except Exception:
            log.exception("business notification %s not published", event)
