"""The values the client hands to applications, parsed from protocol.md's wire objects (§5).

Each keeps the full wire dict in ``raw``, so fields added by newer servers stay reachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatserver.protocol import events

# Events the client itself adds to the stream (never sent by a server).
RECONNECTED = "client:reconnected"  # data: {"attempts": n}; rooms are being resumed
SESSION_RESET = "client:session-reset"  # data: {"guestId", "previousGuestId"}: the guest session expired
ROOM_LOST = "client:room-lost"  # data: {"roomId", "code", "message"}: a room could not be resumed


@dataclass(frozen=True, slots=True)
class Identity:
    """Who this connection is: from ``guest:registered`` or ``user:authenticated`` (§3)."""

    user_type: str  # guest | customer | staff
    user_id: str  # guestId for guests, the token's sub otherwise
    name: str | None
    business_id: str | None
    session_id: str | None  # guests only: the secret to present next time
    resumed: bool
    protocol: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_first_frame(cls, frame: dict[str, Any]) -> Identity:
        data = frame.get("data") or {}
        if frame.get("event") == events.GUEST_REGISTERED:
            return cls(
                "guest",
                data["guestId"],
                None,
                None,
                data["sessionId"],
                bool(data.get("resumed")),
                data.get("protocol"),
                data,
            )
        return cls(
            data["userType"],
            data["userId"],
            data.get("name"),
            data.get("businessId"),
            None,
            False,
            data.get("protocol"),
            data,
        )


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message (§5 Message)."""

    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_type: str
    sender_name: str
    is_guest: bool
    content: str
    created_at: str
    client_msg_id: str | None
    faq_id: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Message:
        return cls(
            id=data["_id"],
            room_id=data["roomId"],
            seq=int(data["seq"]),
            sender_id=data["senderId"],
            sender_type=data["senderType"],
            sender_name=data.get("senderName", ""),
            is_guest=bool(data.get("isGuest")),
            content=data.get("content", ""),
            created_at=data.get("createdAt", ""),
            client_msg_id=data.get("clientMsgId"),
            faq_id=data.get("faqId"),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Event:
    """One pushed event: a server event (``chat:new-message`` …) or a ``client:*`` event."""

    name: str
    data: dict[str, Any]

    @property
    def message(self) -> Message | None:
        """The message, for ``chat:new-message`` and ``chat:faq-response``."""
        if self.name in (events.NEW_MESSAGE, events.FAQ_RESPONSE):
            return Message.from_wire(self.data)
        return None


@dataclass(frozen=True, slots=True)
class Joined:
    """The answer to ``join_room``: the room (§5 Room) and, without ``after_seq``, its latest page."""

    room: dict[str, Any]
    messages: list[Message]
    has_more: bool

    @property
    def room_id(self) -> str:
        return str(self.room["_id"])


@dataclass(frozen=True, slots=True)
class Page:
    """A page of ``chat:history``, oldest first."""

    room_id: str
    messages: list[Message]
    has_more: bool
