"""Guest conversion: staff turn a guest conversation into a customer contact of the business.

The contact is found or created by normalized email within the business (two rooms of the same
person end up on one contact), the room is linked to it (``metadata.customerId``,
``metadata.convertedAt``, ``guestInfo.email``/``phone``) and stays ``isGuest: true`` — the
conversation's origin — so analytics can count conversions. Converting again is harmless: the
same contact, the first ``convertedAt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chatserver.domain.business import Contact
from chatserver.domain.clock import Clock
from chatserver.domain.events import GuestConverted, GuestUpdated
from chatserver.domain.models import Principal, Room
from chatserver.ports.business_store import ContactStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.dispatch import Dispatcher
from chatserver.usecases.workflow import normalize_email, normalize_phone, require_staff_for


@dataclass(frozen=True, slots=True)
class Conversion:
    room: Room
    contact: Contact
    created: bool  # a new contact (False: merged into an existing one)


class ContactSource(ContactStore, Protocol):
    """The slice of the store conversions use."""


class Contacts:
    def __init__(self, *, store: ContactSource, dispatcher: Dispatcher, clock: Clock) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock

    async def convert_guest(self, principal: Principal, room: Room, email: Any, phone: Any) -> Conversion:
        require_staff_for(principal, room)
        if not room.is_guest:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "only guest conversations can be converted", field="roomId")
        if not isinstance(email, str) or not email.strip():
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "email is required", field="email")
        if phone is not None and not isinstance(phone, str):
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "phone must be a string", field="phone")
        clean_email = normalize_email(email)
        clean_phone = normalize_phone(phone) if phone else None
        name = room.user_name if room.user_name and room.user_name != "Guest" else None
        now = self.clock()
        contact, created = await self.store.upsert_contact(room.business_id, clean_email, clean_phone, name, now)
        linked = await self.store.link_contact(room.id, contact, now)
        if linked is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        if linked.customer_id != room.customer_id:
            await self.dispatcher.publish(GuestConverted(linked, contact))
        elif linked != room:
            await self.dispatcher.publish(GuestUpdated(linked))
        return Conversion(linked, contact, created)

    async def link_returning_guest(self, room: Room) -> Room:
        """A new room of a guest already converted with this business joins the same contact."""
        if not room.is_guest or room.guest_id is None or room.customer_id is not None:
            return room
        contact_id = await self.store.guest_contact_id(room.business_id, room.guest_id)
        if contact_id is None:
            return room
        contact = await self.store.get_contact(contact_id)
        if contact is None:
            return room
        return await self.store.link_contact(room.id, contact, self.clock()) or room
