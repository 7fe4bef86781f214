"""Value objects of the domain: plain data. Their JSON form (the field names of protocol.md) is
``chatserver.protocol.wire``'s; nothing here knows it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# a room's messages are numbered 1, 2, ... in a 32-bit column: no seq lies beyond this, so a
# bound past it (a client's afterSeq/beforeSeq) is answered without asking the store
MAX_SEQ = 2**31 - 1


class SenderType(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"
    GUEST = "guest"


class RoomStatus(enum.StrEnum):
    """A room's workflow status, set by staff; independent of ``Room.is_active``."""

    OPEN = "open"
    CLOSED = "closed"


class Role(enum.StrEnum):
    """Who is on the other end of a connection."""

    GUEST = "guest"
    CUSTOMER = "customer"
    STAFF = "staff"


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
    status: RoomStatus = RoomStatus.OPEN
    closed_at: int | None = None
    assigned_to: str | None = None
    staff_read_seq: int = 0
    visitor_read_seq: int = 0
    unread_by_staff: int = 0
    unread_by_visitor: int = 0
    customer_id: str | None = None
    converted_at: int | None = None
    # satisfaction rating of a closure (migration 0008, ``domain.ratings``): the latest one, and
    # the ``closed_at`` it was given for (a reopen and a new close leave it behind)
    rating_score: int | None = None
    rating_comment: str | None = None
    rated_at: int | None = None
    rated_closure_at: int | None = None

    @property
    def owner_key(self) -> str:
        return f"guest:{self.guest_id}" if self.is_guest else f"user:{self.user_id}"


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
    phone: str | None = None
    locale: str | None = None  # the visitor's language (``domain/locales.py``): metadata.locale


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

    def sent_as(self, sender_name: str) -> NewMessage:
        """The same message under another name (a guest's is the one its room holds). Built
        directly: ``dataclasses.replace`` costs several times more on the send path."""
        return NewMessage(
            self.room_id,
            self.sender_id,
            self.sender_type,
            sender_name,
            self.is_guest,
            self.content,
            self.client_msg_id,
            self.faq_id,
        )
