"""Webhook event types and their payloads (documented in protocol.md §13).

An ``OutboxEvent`` is built inside the store's transaction from the state it just wrote, so the
payload is exactly what was committed; which business change becomes which event is decided in
one place, ``chatserver.usecases.dispatch.webhook_events``. The body is serialized once, here (in the encoding of
``chatserver.protocol.webhook_payloads``): every attempt sends the same bytes, and the
signature covers them.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from typing import Any

from chatserver.domain.business import Contact
from chatserver.domain.models import Message, Room
from chatserver.domain.privacy import Erasure, SubjectKind
from chatserver.protocol import webhook_payloads as payloads


class EventType(enum.StrEnum):
    ROOM_CREATED = "room.created"
    MESSAGE_CREATED = "message.created"
    GUEST_UPDATED = "guest.updated"  # a room's visitor email, phone or name changed
    GUEST_CONVERTED = "guest.converted"  # a guest room was linked to a customer contact
    ROOM_CLOSED = "room.closed"  # staff closed a room
    ROOM_RATED = "room.rated"  # the visitor rated a closed room (CSAT)
    GUEST_ERASED = "guest.erased"  # a guest's data was erased (ids only)
    CUSTOMER_ERASED = "customer.erased"  # a customer's data was erased (ids only)


ALL_EVENTS = "*"


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: str  # evt_<hex>: receivers deduplicate by it
    type: EventType
    business_id: str
    order_key: str  # events with the same key reach a webhook in the order they happened
    body: str  # the exact JSON POSTed
    created_at: int


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def make_event(event_type: EventType, business_id: str, order_key: str, data: dict[str, Any], now: int) -> OutboxEvent:
    event_id = new_event_id()
    body = payloads.event_body(event_id, event_type.value, business_id, data, now)
    return OutboxEvent(event_id, event_type, business_id, order_key, body, now)


def room_key(room_id: str) -> str:
    return f"room:{room_id}"


def room_created(room: Room, now: int) -> OutboxEvent:
    return make_event(EventType.ROOM_CREATED, room.business_id, room_key(room.id), payloads.room_data(room), now)


def message_created(message: Message, business_id: str, now: int) -> OutboxEvent:
    data = payloads.message_data(message)
    return make_event(EventType.MESSAGE_CREATED, business_id, room_key(message.room_id), data, now)


def guest_updated(room: Room, now: int) -> OutboxEvent:
    """The room after its visitor's email, phone or name changed (``chat:update-guest-info``, or
    a repeated conversion that brought a new phone)."""
    return make_event(EventType.GUEST_UPDATED, room.business_id, room_key(room.id), payloads.room_data(room), now)


def guest_converted(room: Room, contact: Contact, now: int) -> OutboxEvent:
    """The guest room ``room`` is now linked to the business's customer ``contact``."""
    data = payloads.converted_data(room, contact)
    return make_event(EventType.GUEST_CONVERTED, room.business_id, room_key(room.id), data, now)


def room_closed(room: Room, closed_by: dict[str, Any], now: int) -> OutboxEvent:
    """``closed_by``: ``{"userId": ..., "userType": "staff", "name": ...}`` of whoever closed it."""
    data = payloads.closed_data(room, closed_by)
    return make_event(EventType.ROOM_CLOSED, room.business_id, room_key(room.id), data, now)


def room_rated(room: Room, now: int) -> OutboxEvent:
    """The room as rated (its ``rating`` is the one given) and the rating again on its own."""
    data = payloads.rated_data(room)
    return make_event(EventType.ROOM_RATED, room.business_id, room_key(room.id), data, now)


ERASED_TYPES = {SubjectKind.GUEST: EventType.GUEST_ERASED, SubjectKind.CUSTOMER: EventType.CUSTOMER_ERASED}


def subject_erased(erasure: Erasure, now: int) -> OutboxEvent:
    """``guest.erased`` / ``customer.erased``: ids only, so receivers can erase their copies. Its
    own order key: the rooms' earlier events are deleted with them, nothing is left to follow."""
    event_type = ERASED_TYPES[erasure.subject.kind]
    event_id = new_event_id()
    body = payloads.event_body(event_id, event_type.value, erasure.business_id, payloads.erased_data(erasure), now)
    return OutboxEvent(event_id, event_type, erasure.business_id, f"erasure:{event_id}", body, now)
