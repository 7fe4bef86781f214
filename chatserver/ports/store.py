"""The storage interface the domain depends on. Implementations live beside it (``sql.py``).

Times are epoch milliseconds (UTC) everywhere: portable across SQLite and PostgreSQL and cheap
to compare and aggregate in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chatserver.domain.business import RoomFilter
from chatserver.domain.models import Business, GuestSession, Message, NewMessage, NewRoom, Room


class StoreError(Exception):
    """The database failed or is unreachable; the request may be retried.

    ``uncertain`` is set when the failure came while committing: the write may have been
    applied (the database committed, the reply was lost) or not, and only a retry can tell.
    """

    def __init__(self, message: str, *, uncertain: bool = False) -> None:
        super().__init__(message)
        self.uncertain = uncertain


class RoomQuotaExceeded(Exception):
    """The guest already has the maximum number of rooms; nothing was created."""


class NoSuchBusiness(Exception):
    """A room was asked for in a business that does not exist; nothing was created."""


@dataclass(frozen=True, slots=True)
class OpenedRoom:
    room: Room
    created: bool  # False: the active room of that guest or customer, found
    had_rooms: bool  # the guest had rooms before this one (only then can it have a contact)


@dataclass(frozen=True, slots=True)
class AppendResult:
    message: Message
    created: bool  # False when an earlier send with the same clientMsgId was found
    room: Room | None = None  # the room as updated by this append (when created)
    reopened: bool = False  # the append reopened the closed room (``Prepared.reopen``)
    # the business's configuration version (settings, FAQs) read in the append's transaction:
    # a cached copy of another version is out of date, whichever instance made the change
    config_version: int = 0


@dataclass(frozen=True, slots=True)
class Prepared:
    """What ``prepare`` decided, from the room as it is inside the append's transaction."""

    message: NewMessage
    reopen: bool = False  # set the room's status to open (a visitor writing to a closed room)


# Called inside the append's transaction with the room's row (None: no such room), as the
# statement that allocated the message's seq left it (locked, its counters already moved). It
# checks access (raising refuses the append: nothing is written and its exception reaches the
# caller) and returns the message to store. One statement serves the seq, the access check,
# the visitor's current name and the reopen rule, with no second transaction per send.
Prepare = Callable[[Room | None], Prepared]


@dataclass(frozen=True, slots=True)
class RoomPage:
    rooms: list[Room]
    next_cursor: str | None


class BusinessStore(Protocol):
    async def create_business(self, name: str, now: int) -> Business: ...
    async def get_business(self, business_id: str) -> Business | None: ...
    async def list_businesses(self) -> list[Business]: ...


class GuestStore(Protocol):
    async def create_guest(self, guest_id: str, session_hash: str, user_agent: str, now: int) -> GuestSession: ...
    async def find_guest(self, session_hash: str) -> GuestSession | None: ...
    async def touch_guest(self, guest_id: str, now: int) -> None: ...
    async def resume_guest(self, session_hash: str, now: int, timeout_ms: int) -> GuestSession | None:
        """The guest behind ``session_hash``, marked seen at ``now``, unless it is expired or idle
        longer than ``timeout_ms`` (then marked expired): ``None``. One transaction."""
        ...


class RoomStore(Protocol):
    async def get_room(self, room_id: str) -> Room | None: ...
    async def count_guest_rooms(self, guest_id: str) -> int: ...
    async def create_room(self, new: NewRoom, now: int, *, max_guest_rooms: int | None = None) -> Room:
        """Create the room; with ``max_guest_rooms``, atomically refuse (``RoomQuotaExceeded``)
        when the guest already has that many."""
        ...

    async def open_room(self, new: NewRoom, now: int, *, max_guest_rooms: int | None = None) -> OpenedRoom:
        """The active room of ``new``'s guest or customer with its business, created (as
        ``create_room``) when there is none, in one transaction. Raises ``NoSuchBusiness``."""
        ...

    async def list_rooms(
        self, business_id: str, *, limit: int, cursor: str | None, filters: RoomFilter | None = None
    ) -> RoomPage: ...


class MessageStore(Protocol):
    async def append_message(self, new: NewMessage, now: int, *, prepare: Prepare | None = None) -> AppendResult: ...
    async def list_messages(
        self, room_id: str, *, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[Message]: ...


class Store(BusinessStore, GuestStore, RoomStore, MessageStore, Protocol):
    """Everything the domain persists. ``close`` releases connections."""

    async def ping(self) -> None: ...
    async def close(self) -> None: ...
