"""The one place that decides what each business event becomes.

A change is described once, as a ``chatserver.domain.events`` value, and announced twice:

- ``webhook_events`` (pure): the webhook outbox events it becomes. The store calls it inside the
  change's own transaction, with the state it just wrote, and writes the result to the outbox
  (``adapters/sql/outbox.py``), so a webhook reports exactly what committed.
- ``Dispatcher.publish``: the realtime pushes it becomes, sent by the use case once the store
  returned (persist, then publish): frames to the room's members through the hub, and the
  business's ``chat:room-created`` / ``chat:room-updated`` through the ``Notifier`` (which
  coalesces the message-driven updates).

Adding a business event: a class in ``domain/events.py``, its entries in the two tables below,
and a line in the store (build the event) and in the use case (``publish`` it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from chatserver.domain.events import (
    DomainEvent,
    GuestConverted,
    GuestUpdated,
    MessagePosted,
    PageViewed,
    RoomAssigned,
    RoomClosed,
    RoomCreated,
    RoomRated,
    RoomRead,
    RoomReopened,
    RoomTagged,
    SubjectErased,
)
from chatserver.domain.models import RoomStatus
from chatserver.fanout.hub import Hub
from chatserver.ports.disconnects import Disconnects
from chatserver.protocol import events, wire
from chatserver.protocol import webhook_events as hooks
from chatserver.protocol.webhook_events import OutboxEvent
from chatserver.usecases.notifier import Notifier

log = logging.getLogger("chatserver.chat")


# -- webhooks: what the store writes to the outbox, in the change's transaction


def _message_posted(event: MessagePosted, now: int) -> list[OutboxEvent]:
    if event.room is None:
        return []
    return [hooks.message_created(event.message, event.room.business_id, now)]


def _closed_by(event: RoomClosed) -> dict[str, Any]:
    return {} if event.by is None else wire.actor(event.by)


def _room_closed(event: RoomClosed, now: int) -> list[OutboxEvent]:
    return [hooks.room_closed(event.room, _closed_by(event), now)]


_WEBHOOKS: dict[type[Any], Callable[[Any, int], list[OutboxEvent]]] = {
    RoomCreated: lambda event, now: [hooks.room_created(event.room, now)],
    MessagePosted: _message_posted,
    RoomClosed: _room_closed,
    GuestUpdated: lambda event, now: [hooks.guest_updated(event.room, now)],
    GuestConverted: lambda event, now: [hooks.guest_converted(event.room, event.contact, now)],
    RoomRated: lambda event, now: [hooks.room_rated(event.room, now)],
    SubjectErased: lambda event, now: [hooks.subject_erased(event.erasure, now)],
}


def webhook_events(event: DomainEvent, now: int) -> list[OutboxEvent]:
    """The webhook events ``event`` becomes (none for a change no webhook reports), stamped
    ``now``."""
    build = _WEBHOOKS.get(type(event))
    return [] if build is None else build(event, now)


# -- realtime: what the use case publishes after the change committed


class Dispatcher:
    """Publishes the realtime pushes of business events. Best effort: the change is stored
    before it is announced, and a client that missed a push reads the truth back."""

    def __init__(self, *, hub: Hub, notifier: Notifier, disconnects: Disconnects | None = None) -> None:
        self.hub = hub
        self.notifier = notifier
        self.disconnects = disconnects  # None: no transport to close connections on (tests, CLI)
        self._pushes: dict[type[Any], Callable[[Any], Awaitable[None]]] = {
            RoomCreated: self._room_created,
            MessagePosted: self._message_posted,
            RoomClosed: self._room_closed,
            RoomReopened: self._room_reopened,
            RoomAssigned: self._room_changed,
            RoomTagged: self._room_changed,
            RoomRead: self._room_read,
            GuestUpdated: self._room_changed,
            GuestConverted: self._room_changed,
            PageViewed: self._page_viewed,
            RoomRated: self._room_changed,
            SubjectErased: self._subject_erased,
        }

    async def publish(self, event: DomainEvent) -> None:
        await self._pushes[type(event)](event)

    async def _room_created(self, event: RoomCreated) -> None:
        await self.notifier.room_created(event.room)

    async def _message_posted(self, event: MessagePosted) -> None:
        message = event.message
        if event.reopened_by is not None:
            # before the message: members see the room open again, then what reopened it;
            # dashboards get the room's new state with the message's chat:room-updated
            by = wire.actor(event.reopened_by)
            await self.hub.publish_room_event(
                message.room_id, events.ROOM_STATUS, wire.room_status(message.room_id, RoomStatus.OPEN, by)
            )
        try:
            await self.hub.publish_message(message)
        except Exception:
            # stored is what counts: members catch up from the store when the broker returns
            log.exception("message %s stored but not published", message.id)
        if event.room is not None:
            await self.notifier.message_activity(event.room)

    async def _room_closed(self, event: RoomClosed) -> None:
        await self._status(event, RoomStatus.CLOSED, _closed_by(event))

    async def _room_reopened(self, event: RoomReopened) -> None:
        await self._status(event, RoomStatus.OPEN, wire.actor(event.by))

    async def _status(self, event: RoomClosed | RoomReopened, status: RoomStatus, by: dict[str, Any]) -> None:
        room = event.room
        await self.hub.publish_room_event(room.id, events.ROOM_STATUS, wire.room_status(room.id, status, by))
        await self.notifier.room_updated(room)

    async def _room_read(self, event: RoomRead) -> None:
        room = event.room
        receipt = wire.read_receipt(room.id, event.position, event.side, event.reader)
        await self.hub.publish_room_event(room.id, events.READ, receipt)
        if event.side == "staff":
            await self.notifier.room_updated(room)

    async def _room_changed(self, event: RoomAssigned | RoomTagged | GuestUpdated | GuestConverted | RoomRated) -> None:
        await self.notifier.room_updated(event.room)

    async def _page_viewed(self, event: PageViewed) -> None:
        """Dashboards only (no webhook: a page view is frequent and says nothing of the
        conversation); announced at once, as the visitor moves on quickly."""
        await self.notifier.room_updated(event.room, current_page=event.view)

    async def _subject_erased(self, event: SubjectErased) -> None:
        """Dashboards drop the rooms; the erased visitors' connections close on every instance."""
        erasure = event.erasure
        for room_id in erasure.room_ids:
            await self.hub.publish_business_event(erasure.business_id, events.ROOM_DELETED, wire.room_deleted(room_id))
        if self.disconnects is not None:
            await self.disconnects.disconnect(erasure.guest_ids, erasure.customer_ids)
