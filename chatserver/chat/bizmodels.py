"""Value objects of the business features: FAQs, contacts, staff accounts, room filters, analytics.

Kept apart from ``models.py`` (conversations) so the store interface can name them without
pulling in the feature modules that use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chatserver.chat.models import iso_ms

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Faq:
    id: str
    business_id: str
    question: str
    answer: str
    keywords: tuple[str, ...]
    enabled: bool
    created_at: int
    updated_at: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "businessId": self.business_id,
            "question": self.question,
            "answer": self.answer,
            "keywords": list(self.keywords),
            "enabled": self.enabled,
            "createdAt": iso_ms(self.created_at),
            "updatedAt": iso_ms(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class FaqFields:
    """A validated FAQ as given by staff (create) or the fields to change (update: None = keep)."""

    question: str | None = None
    answer: str | None = None
    keywords: tuple[str, ...] | None = None
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    business_id: str
    email: str
    phone: str | None
    name: str | None
    created_at: int
    updated_at: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "businessId": self.business_id,
            "email": self.email,
            "phone": self.phone,
            "name": self.name,
            "createdAt": iso_ms(self.created_at),
            "updatedAt": iso_ms(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: str
    business_id: str
    email: str
    name: str
    password_hash: str
    created_at: int

    def to_wire(self) -> dict[str, Any]:
        """Never the hash."""
        return {"_id": self.id, "businessId": self.business_id, "email": self.email, "name": self.name}


@dataclass(frozen=True, slots=True)
class RoomFilter:
    """Room list filters of the dashboard; ``None`` means "any"."""

    is_guest: bool | None = None
    status: str | None = None
    tag: str | None = None
    assigned_to: str | None = None
    text: str | None = None  # substring of the user's name or email, case-insensitive


@dataclass(frozen=True, slots=True)
class DayCounts:
    """Rooms created on one UTC day (``day`` = days since the epoch), for the analytics chart."""

    day: int
    guest_rooms: int = 0
    guest_rooms_with_email: int = 0
    converted: int = 0
    authenticated_rooms: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "date": datetime.fromtimestamp(self.day * DAY_MS / 1000, tz=UTC).date().isoformat(),
            "guestRooms": self.guest_rooms,
            "guestRoomsWithEmail": self.guest_rooms_with_email,
            "converted": self.converted,
            "conversionRate": round(self.converted / self.guest_rooms, 4) if self.guest_rooms else 0.0,
            "authenticatedRooms": self.authenticated_rooms,
        }


@dataclass(frozen=True, slots=True)
class Analytics:
    """Counts over rooms created, and messages sent, in ``[from_ms, to_ms)``; with ``series``,
    the room counts per UTC day too."""

    from_ms: int
    to_ms: int
    guest_rooms: int
    guest_rooms_with_email: int
    converted: int
    authenticated_rooms: int
    messages_by_sender_type: dict[str, int] = field(default_factory=dict)
    faq_answers: int = 0
    median_first_response_ms: int | None = None
    rooms_with_staff_reply: int = 0
    series: tuple[DayCounts, ...] | None = None

    def to_wire(self) -> dict[str, Any]:
        rate = self.converted / self.guest_rooms if self.guest_rooms else 0.0
        email_rate = self.guest_rooms_with_email / self.guest_rooms if self.guest_rooms else 0.0
        by_type = {kind: self.messages_by_sender_type.get(kind, 0) for kind in ("guest", "customer", "staff", "system")}
        return {
            "from": iso_ms(self.from_ms),
            "to": iso_ms(self.to_ms),
            "guestRooms": self.guest_rooms,
            "guestRoomsWithEmail": self.guest_rooms_with_email,
            "emailCaptureRate": round(email_rate, 4),
            "converted": self.converted,
            "conversionRate": round(rate, 4),
            "authenticatedRooms": self.authenticated_rooms,
            "messagesBySenderType": by_type,
            "faqAnswers": self.faq_answers,
            "roomsWithStaffReply": self.rooms_with_staff_reply,
            "medianFirstResponseMs": self.median_first_response_ms,
            **({} if self.series is None else {"series": [day.to_wire() for day in self.series]}),
        }
