"""Business events: what a change did, as plain values, one class per kind of change.

The use cases and the store describe what they changed with these; what each one becomes — a
webhook outbox row written in the change's transaction, realtime pushes after it committed, or
both — is decided in one place, ``chatserver.usecases.dispatch``. A new business event is a
class here and an entry in that module's two tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chatserver.domain.business import Contact
from chatserver.domain.models import Message, Principal, Room
from chatserver.domain.pages import PageView
from chatserver.domain.privacy import Erasure
from chatserver.domain.ratings import Rating

Side = Literal["staff", "visitor"]  # the two sides of a conversation: staff, and the guest or customer


@dataclass(frozen=True, slots=True)
class RoomCreated:
    """A new conversation (``room``: as stored)."""

    room: Room


@dataclass(frozen=True, slots=True)
class MessagePosted:
    """A message was stored. ``room``: the room as the append left it (``None`` only from a store
    that does not report it); ``reopened_by``: who reopened the closed room by writing, known to
    the use case (the store leaves it ``None``: no webhook reports a reopen)."""

    message: Message
    room: Room | None
    reopened_by: Principal | None = None


@dataclass(frozen=True, slots=True)
class RoomClosed:
    """Staff closed ``room`` (``by``: who; ``None`` when unknown)."""

    room: Room
    by: Principal | None


@dataclass(frozen=True, slots=True)
class RoomReopened:
    """Staff reopened ``room``."""

    room: Room
    by: Principal


@dataclass(frozen=True, slots=True)
class RoomAssigned:
    """``room.assigned_to`` changed (or was cleared)."""

    room: Room


@dataclass(frozen=True, slots=True)
class RoomTagged:
    """``room.tags`` were replaced."""

    room: Room


@dataclass(frozen=True, slots=True)
class RoomRead:
    """``reader`` moved ``side``'s read position of ``room`` to ``position``."""

    room: Room
    side: Side
    position: int
    reader: Principal


@dataclass(frozen=True, slots=True)
class GuestUpdated:
    """The visitor's email, phone or name of ``room`` (as now stored) changed."""

    room: Room


@dataclass(frozen=True, slots=True)
class GuestConverted:
    """The guest room ``room`` is now linked to the business's customer ``contact``."""

    room: Room
    contact: Contact


@dataclass(frozen=True, slots=True)
class PageViewed:
    """The visitor of ``room`` (as now stored, ``view`` last in its page list) is on ``view``."""

    room: Room
    view: PageView


@dataclass(frozen=True, slots=True)
class RoomRated:
    """The visitor of ``room`` (as now stored) rated its current closure ``rating``."""

    room: Room
    rating: Rating


@dataclass(frozen=True, slots=True)
class SubjectErased:
    """A guest's or customer's data in a business was erased (staff request or retention)."""

    erasure: Erasure


DomainEvent = (
    RoomCreated
    | MessagePosted
    | RoomClosed
    | RoomReopened
    | RoomAssigned
    | RoomTagged
    | RoomRead
    | GuestUpdated
    | GuestConverted
    | PageViewed
    | RoomRated
    | SubjectErased
)
