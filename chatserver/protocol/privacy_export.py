"""The JSON form of a data-subject export (protocol.md §10, "Personal data: export").

Rooms, messages and contacts are written by ``wire`` exactly as the rest of the API writes them,
so the visitor receives their data in the form the business's own tools see it. A guest
session appears without ``session_hash``, the only form of its secret that is stored: a
credential's digest has no place in a document that leaves the system. Webhook events appear by
id, type and time: their bodies carried the rooms and messages listed here.
"""

from __future__ import annotations

from typing import Any

from chatserver.domain.models import GuestSession
from chatserver.domain.privacy import DeliveryTrace, EventTrace, SubjectExport
from chatserver.domain.ratings import ClosureRating
from chatserver.protocol import wire
from chatserver.protocol.timestamps import iso_ms

EXPORT_FORMAT = 1  # bumped when a field changes meaning or disappears


def guest_session(session: GuestSession) -> dict[str, Any]:
    return {
        "guestId": session.guest_id,
        "userAgent": session.user_agent,
        "createdAt": iso_ms(session.created_at),
        "lastSeenAt": iso_ms(session.last_seen_at),
        "expired": session.expired,
    }


def delivery(trace: DeliveryTrace) -> dict[str, Any]:
    return {
        "_id": trace.id,
        "webhookId": trace.webhook_id,
        "status": trace.status,
        "attempts": trace.attempts,
        "createdAt": iso_ms(trace.created_at),
        "deliveredAt": iso_ms(trace.delivered_at),
    }


def event(trace: EventTrace) -> dict[str, Any]:
    return {
        "_id": trace.id,
        "type": trace.type,
        "createdAt": iso_ms(trace.created_at),
        "dispatchedAt": iso_ms(trace.dispatched_at),
        "deliveries": [delivery(each) for each in trace.deliveries],
    }


def closure_rating(each: ClosureRating) -> dict[str, Any]:
    rating = each.rating
    return {
        "roomId": each.room_id,
        "score": rating.score,
        "comment": rating.comment,
        "closedAt": iso_ms(rating.closed_at),
        "ratedAt": iso_ms(rating.rated_at),
    }


def subject_export(export: SubjectExport) -> dict[str, Any]:
    """``GET …/guests/{guestId}/export``, ``GET …/customers/{customerId}/export`` and the CLI."""
    data = export.data
    return {
        "format": EXPORT_FORMAT,
        "exportedAt": iso_ms(export.exported_at),
        "businessId": data.business_id,
        "subject": {"type": data.subject.kind.value, "id": data.subject.id},
        "guestSessions": [guest_session(each) for each in data.sessions],
        "rooms": [wire.room(each) for each in data.rooms],
        "messages": [wire.message(each) for each in data.messages],
        "contacts": [wire.contact(each) for each in data.contacts],
        "ratings": [closure_rating(each) for each in data.ratings],
        "webhookEvents": [event(each) for each in data.events],
    }
