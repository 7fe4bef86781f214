"""The staff workflow: room status, assignment, read receipts, typing, visitor details, and the
business notifications that keep every dashboard's room list live (``dispatch.Dispatcher``).

Room status (``open``/``closed``) is independent of ``isActive``. ``isActive`` marks the owner's
current conversation with the business (the one-active-room unique index); closing a room does
not end it, so the guest who comes back, or writes again, finds the same room — and a visitor's
message to a closed room reopens it. No second active room can appear.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from email_validator import EmailNotValidError, validate_email

from chatserver.domain.business import StaffAccount
from chatserver.domain.clock import Clock
from chatserver.domain.events import GuestUpdated, RoomAssigned, RoomClosed, RoomRead, RoomReopened, RoomTagged
from chatserver.domain.models import Principal, Role, Room, RoomStatus
from chatserver.fanout.hub import Hub
from chatserver.ports.business_store import Side, WorkflowStore
from chatserver.ports.presence import Presence
from chatserver.protocol import ChatError, ErrorCode, events, wire
from chatserver.usecases.dispatch import Dispatcher

TYPING_INTERVAL_MS = 2000  # at most one relayed "isTyping: true" per connection and room in this time
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


class WorkflowSource(WorkflowStore, Protocol):
    """The slice of the store the workflow writes (and the staff accounts an assignment may name)."""

    async def list_staff(self, business_id: str) -> list[StaffAccount]: ...


def require_staff_for(principal: Principal, room: Room) -> None:
    if principal.role is not Role.STAFF or principal.business_id != room.business_id:
        raise ChatError(ErrorCode.FORBIDDEN, "only staff of this business may do that", field="roomId")


class Workflow:
    def __init__(
        self, *, store: WorkflowSource, hub: Hub, dispatcher: Dispatcher, clock: Clock, presence: Presence
    ) -> None:
        self.store = store
        self.presence = presence  # staff connected now: assignable even without an account here
        self.hub = hub  # typing indicators: a signal, not a change, so no business event
        self.dispatcher = dispatcher
        self.clock = clock

    async def set_status(self, principal: Principal, room: Room, status: RoomStatus) -> Room:
        """Staff close or reopen; the room's members get ``chat:room-status``, dashboards
        ``chat:room-updated``. Repeating the current status changes nothing and says nothing."""
        require_staff_for(principal, room)
        if room.status == status:
            return room
        return await self._change_status(room, status, principal)

    async def _change_status(self, room: Room, status: RoomStatus, principal: Principal) -> Room:
        updated = await self.store.set_room_status(room.id, status, self.clock(), by=principal)
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        closed = status == RoomStatus.CLOSED
        await self.dispatcher.publish(RoomClosed(updated, principal) if closed else RoomReopened(updated, principal))
        return updated

    async def assign(self, principal: Principal, room: Room, staff_id: str | None) -> Room:
        require_staff_for(principal, room)
        await self._require_assignable(principal, room.business_id, staff_id)
        updated = await self.store.assign_room(room.id, staff_id)
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        await self.dispatcher.publish(RoomAssigned(updated))
        return updated

    async def _require_assignable(self, principal: Principal, business_id: str, staff_id: str | None) -> None:
        """A room goes to staff of its own business only (or to nobody): the caller, a staff
        account of the business, or a staff member connected now with a token for it. Anything
        else — a guest's id, another business's staff, a typo — is ``not_found`` on ``staffId``,
        so a room cannot be handed to someone who can neither see nor answer it."""
        if staff_id is None or staff_id == principal.user_id:
            return
        if staff_id in await self.presence.online_staff(business_id):
            return
        if any(account.user_id == staff_id for account in await self.store.list_staff(business_id)):
            return
        raise ChatError(ErrorCode.NOT_FOUND, "no staff member with this id in the business", field="staffId")

    async def set_tags(self, principal: Principal, room: Room, tags: Sequence[str]) -> Room:
        require_staff_for(principal, room)
        updated = await self.store.set_room_tags(room.id, tuple(dict.fromkeys(tags)))
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        await self.dispatcher.publish(RoomTagged(updated))
        return updated

    async def read(self, principal: Principal, room: Room, seq: int) -> Room:
        """Read receipt: staff read for the staff side, guests and customers for theirs."""
        side: Side = "staff" if principal.role is Role.STAFF else "visitor"
        updated = await self.store.mark_read(room.id, side, seq)
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        position = updated.staff_read_seq if side == "staff" else updated.visitor_read_seq
        await self.dispatcher.publish(RoomRead(updated, side, position, principal))
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
        for room in rooms:  # all of them, changed or not: every dashboard shows the details now
            await self.dispatcher.publish(GuestUpdated(room))
        return rooms
