"""Value objects of the domain and their wire form (the field names of protocol.md)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class SenderType(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"
    GUEST = "guest"


class Role(enum.StrEnum):
    """Who is on the other end of a connection."""

    GUEST = "guest"
    CUSTOMER = "customer"
    STAFF = "staff"


def iso_ms(epoch_ms: int | None) -> str | None:
    """Epoch milliseconds -> ISO 8601 UTC with millisecond precision and a ``Z``."""
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated identity behind a connection or an HTTP request."""

    role: Role
    user_id: str  # guestId for guests, JWT ``sub`` otherwise
    name: str
    business_id: str | None = None  # staff only

    @property
    def is_guest(self) -> bool:
        return self.role is Role.GUEST

    @property
    def sender_type(self) -> SenderType:
        return SenderType(self.role.value)


@dataclass(frozen=True, slots=True)
class Business:
    id: str
    name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class GuestSession:
    guest_id: str
    user_agent: str
    created_at: int
    last_seen_at: int
    expired: bool = False


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    business_id: str
    room_name: str
    user_type: str
    user_id: str | None
    user_name: str
    is_guest: bool
    guest_id: str | None
    user_agent: str | None
    email: str | None
    phone: str | None
    tags: tuple[str, ...]
    is_active: bool
    last_message: str | None
    last_message_at: int | None
    last_seq: int
    created_at: int
    extra: dict[str, Any] = field(default_factory=dict)
    # staff workflow and conversion (migration 0002)
    status: str = "open"
    closed_at: int | None = None
    assigned_to: str | None = None
    staff_read_seq: int = 0
    visitor_read_seq: int = 0
    unread_by_staff: int = 0
    unread_by_visitor: int = 0
    customer_id: str | None = None
    converted_at: int | None = None

    @property
    def owner_key(self) -> str:
        return f"guest:{self.guest_id}" if self.is_guest else f"user:{self.user_id}"

    def metadata(self) -> dict[str, Any]:
        """The seed's ChatRoom metadata, minus ``guestInfo.sessionId`` (a bearer secret)."""
        meta: dict[str, Any] = {
            "userType": self.user_type,
            "userId": self.user_id,
            "userName": self.user_name,
            "isGuest": self.is_guest,
        }
        if self.is_guest:
            meta["guestInfo"] = {
                "guestId": self.guest_id,
                "userAgent": self.user_agent or "",
                "email": self.email,
                "phone": self.phone,
            }
        elif self.email or self.phone:
            meta["customerInfo"] = {"email": self.email, "phone": self.phone}
        if self.customer_id is not None:
            meta["customerId"] = self.customer_id
            meta["convertedAt"] = iso_ms(self.converted_at)
        meta.update(self.extra)
        return meta

    def to_wire(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "businessId": self.business_id,
            "roomName": self.room_name,
            "metadata": self.metadata(),
            "tags": list(self.tags),
            "isActive": self.is_active,
            "lastMessage": self.last_message,
            "lastMessageAt": iso_ms(self.last_message_at),
            "lastSeq": self.last_seq,
            "createdAt": iso_ms(self.created_at),
            "status": self.status,
            "closedAt": iso_ms(self.closed_at),
            "assignedTo": self.assigned_to,
            "unreadCount": self.unread_by_staff,
            "visitorUnreadCount": self.unread_by_visitor,
            "readSeq": {"staff": self.staff_read_seq, "visitor": self.visitor_read_seq},
        }


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_type: SenderType
    sender_name: str
    is_guest: bool
    content: str
    created_at: int
    client_msg_id: str | None = None
    faq_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "_id": self.id,
            "roomId": self.room_id,
            "seq": self.seq,
            "senderId": self.sender_id,
            "senderType": self.sender_type.value,
            "senderName": self.sender_name,
            "isGuest": self.is_guest,
            "content": self.content,
            "createdAt": iso_ms(self.created_at),
            "clientMsgId": self.client_msg_id,
        }
        if self.faq_id is not None:
            body["faqId"] = self.faq_id
        return body


@dataclass(frozen=True, slots=True)
class NewRoom:
    """What the domain asks the store to create."""

    business_id: str
    room_name: str
    user_type: str
    user_id: str | None
    user_name: str
    is_guest: bool
    guest_id: str | None
    user_agent: str | None
    email: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewMessage:
    room_id: str
    sender_id: str
    sender_type: SenderType
    sender_name: str
    is_guest: bool
    content: str
    client_msg_id: str | None = None
    faq_id: str | None = None
