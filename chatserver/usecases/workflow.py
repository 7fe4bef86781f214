"""The staff workflow: room status, assignment, read receipts, typing, visitor details, and the
business notifications that keep every dashboard's room list live.

Room status (``open``/``closed``) is independent of ``isActive``. ``isActive`` marks the owner's
current conversation with the business (the one-active-room unique index); closing a room does
not end it, so the guest who comes back, or writes again, finds the same room — and a visitor's
message to a closed room reopens it. No second active room can appear.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email

from chatserver.domain.clock import Clock, now_ms
from chatserver.domain.models import Principal, Role, Room, RoomStatus
from chatserver.fanout.hub import Hub
from chatserver.ports.business_store import Side, WorkflowStore
from chatserver.protocol import ChatError, ErrorCode, events, wire
from chatserver.usecases.background import Background

log = logging.getLogger("chatserver.staffops")

TYPING_INTERVAL_MS = 2000  # at most one relayed "isTyping: true" per connection and room in this time
ROOM_UPDATE_COALESCE_MS = 1000  # message-driven chat:room-updated: at most one per room in this time
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_PHONE = re.compile(r"^\+?[1-9]\d{6,14}$")


def normalize_email(raw: str, field: str = "email") -> str:
    """Syntax check (email-validator, no DNS lookup) and normalization: lower-case."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field}: {exc}", field=field) from None
    return checked.normalized.lower()


def normalize_phone(raw: str, field: str = "phone") -> str:
    """E.164-ish: an optional ``+`` and 7 to 15 digits, separators (space . - ( )) removed."""
    compact = _PHONE_SEPARATORS.sub("", raw.strip())
    if not _PHONE.match(compact):
        raise ChatError(
            ErrorCode.INVALID_PAYLOAD,
            f"{field} must be an international number: optional +, 7 to 15 digits",
            field=field,
        )
    return compact


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

    async def room_updated(self, room: Room) -> None:
        """At once; a coalesced update still pending for the room is older: dropped."""
        pending = self._pending.pop(room.id, None)
        if pending is not None:
            pending[1].cancel()
        self._mark_sent(room.id)
        await self._publish(room.business_id, events.ROOM_UPDATED, wire.room_updated(room))

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
        pending = self._pending.pop(room_id, None)
        if pending is None:
            return
        self._flushing.spawn(self.room_updated(pending[0]))

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


class WorkflowSource(WorkflowStore, Protocol):
    """The slice of the store the workflow writes."""


def require_staff_for(principal: Principal, room: Room) -> None:
    if principal.role is not Role.STAFF or principal.business_id != room.business_id:
        raise ChatError(ErrorCode.FORBIDDEN, "only staff of this business may do that", field="roomId")


class Workflow:
    def __init__(self, *, store: WorkflowSource, hub: Hub, notifier: Notifier, clock: Clock) -> None:
        self.store = store
        self.hub = hub
        self.notifier = notifier
        self.clock = clock

    async def set_status(self, principal: Principal, room: Room, status: RoomStatus) -> Room:
        """Staff close or reopen; the room's members get ``chat:room-status``, dashboards
        ``chat:room-updated``. Repeating the current status changes nothing and says nothing."""
        require_staff_for(principal, room)
        if room.status == status:
            return room
        return await self._change_status(room, status, principal)

    async def announce_reopened(self, principal: Principal, room_id: str) -> None:
        """A guest or customer writing to a closed room reopened it (inside the message's own
        transaction); the room's members hear it before the message. Dashboards get the
        room's new state with the message's ``chat:room-updated``."""
        await self.hub.publish_room_event(
            room_id, events.ROOM_STATUS, wire.room_status(room_id, RoomStatus.OPEN, wire.actor(principal))
        )

    async def _change_status(self, room: Room, status: RoomStatus, principal: Principal) -> Room:
        by = wire.actor(principal)
        updated = await self.store.set_room_status(room.id, status, self.clock(), by=by)
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        await self.hub.publish_room_event(room.id, events.ROOM_STATUS, wire.room_status(room.id, status, by))
        await self.notifier.room_updated(updated)
        return updated

    async def assign(self, principal: Principal, room: Room, staff_id: str | None) -> Room:
        require_staff_for(principal, room)
        updated = await self.store.assign_room(room.id, staff_id)
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        await self.notifier.room_updated(updated)
        return updated

    async def set_tags(self, principal: Principal, room: Room, tags: Sequence[str]) -> Room:
        require_staff_for(principal, room)
        updated = await self.store.set_room_tags(room.id, tuple(dict.fromkeys(tags)))
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        await self.notifier.room_updated(updated)
        return updated

    async def read(self, principal: Principal, room: Room, seq: int) -> Room:
        """Read receipt: staff read for the staff side, guests and customers for theirs."""
        side: Side = "staff" if principal.role is Role.STAFF else "visitor"
        updated = await self.store.mark_read(room.id, side, seq)
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        position = updated.staff_read_seq if side == "staff" else updated.visitor_read_seq
        await self.hub.publish_room_event(room.id, events.READ, wire.read_receipt(room.id, position, side, principal))
        if side == "staff":
            await self.notifier.room_updated(updated)
        return updated

    async def typing(self, principal: Principal, room: Room, is_typing: bool) -> None:
        await self.hub.publish_room_event(room.id, events.TYPING, wire.typing(room.id, is_typing, principal))

    async def update_visitor_info(
        self, principal: Principal, *, email: str | None, phone: str | None, user_name: str | None
    ) -> list[Room]:
        """A guest or customer gives (or corrects) contact details: all their rooms change and
        every business they talk to sees it live."""
        if principal.role is Role.STAFF:
            raise ChatError(ErrorCode.FORBIDDEN, "staff have no guest info to update")
        clean_email = normalize_email(email) if email else None
        clean_phone = normalize_phone(phone) if phone else None
        clean_name = user_name.strip()[:100] if user_name and user_name.strip() else None
        if clean_email is None and clean_phone is None and clean_name is None:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "give at least one of email, phone, userName", field="email")
        owner_key = f"guest:{principal.user_id}" if principal.is_guest else f"user:{principal.user_id}"
        rooms = await self.store.update_owner_info(
            owner_key, email=clean_email, phone=clean_phone, user_name=clean_name, now=self.clock()
        )
        for room in rooms:
            await self.notifier.room_updated(room)
        return rooms
