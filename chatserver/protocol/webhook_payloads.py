"""Webhooks on the wire: the REST objects staff manage (protocol.md §10) and the JSON body POSTed
for each event (§13). ``chatserver.webhooks`` decides what is sent, when and to whom; the
field names are here."""

from __future__ import annotations

import json
from typing import Any

from chatserver.domain.business import Contact
from chatserver.domain.models import Message, Room
from chatserver.domain.privacy import Erasure, SubjectKind
from chatserver.domain.webhooks import Delivery, DeliveryStatus, Webhook
from chatserver.protocol import wire
from chatserver.protocol.timestamps import iso_ms

# REST objects


def webhook(hook: Webhook, *, with_secret: bool = False, stats: dict[str, int] | None = None) -> dict[str, Any]:
    """``secret`` only when asked (the reply to its creation); ``deliveries`` counts by status."""
    body: dict[str, Any] = {
        "_id": hook.id,
        "businessId": hook.business_id,
        "url": hook.url,
        "events": list(hook.events),
        "createdAt": iso_ms(hook.created_at),
        "createdBy": hook.created_by,
    }
    if with_secret:
        body["secret"] = hook.secret
    if stats is not None:
        body["deliveries"] = {status.value: stats.get(status.value, 0) for status in DeliveryStatus}
    return body


def delivery(delivery: Delivery) -> dict[str, Any]:
    pending = delivery.status is DeliveryStatus.PENDING
    return {
        "_id": delivery.id,
        "webhookId": delivery.webhook_id,
        "eventId": delivery.event_id,
        "eventType": delivery.event_type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "nextAttemptAt": iso_ms(delivery.next_attempt_at) if pending else None,
        "lastStatus": delivery.last_status,
        "lastError": delivery.last_error,
        "createdAt": iso_ms(delivery.created_at),
        "deliveredAt": iso_ms(delivery.delivered_at),
    }


# event bodies


def event_body(event_id: str, event_type: str, business_id: str, data: dict[str, Any], created_at: int) -> str:
    """The exact text POSTed (and signed): compact, UTF-8 as is."""
    body = {
        "id": event_id,
        "type": event_type,
        "createdAt": iso_ms(created_at),
        "businessId": business_id,
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def room_data(room: Room) -> dict[str, Any]:
    """``data`` of ``room.created`` and ``guest.updated``."""
    return {"room": wire.room(room)}


def message_data(message: Message) -> dict[str, Any]:
    """``data`` of ``message.created``."""
    return {"message": wire.message(message)}


def converted_data(room: Room, contact: Contact) -> dict[str, Any]:
    """``data`` of ``guest.converted``."""
    return {
        "room": wire.room(room),
        "guestId": room.guest_id,
        "customerId": contact.id,
        "contact": wire.contact(contact),
    }


def closed_data(room: Room, closed_by: dict[str, Any]) -> dict[str, Any]:
    """``data`` of ``room.closed``; ``closed_by`` is a ``wire.actor``."""
    return {"room": wire.room(room), "closedBy": closed_by}


def rated_data(room: Room) -> dict[str, Any]:
    """``data`` of ``room.rated``: the room and its current closure's rating."""
    return {"room": wire.room(room), "rating": wire.rating(room)}


def erased_data(erasure: Erasure) -> dict[str, Any]:
    """``data`` of ``guest.erased`` and ``customer.erased``: ids, nothing the ids pointed to."""
    key = "guestId" if erasure.subject.kind is SubjectKind.GUEST else "customerId"
    return {key: erasure.subject.id, "roomIds": list(erasure.room_ids), "guestIds": list(erasure.guest_ids)}
