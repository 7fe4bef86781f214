"""The steps every connection takes, as plans (``plan.py``) for the drivers that run the message
append: a guest's registration or resume, its room found or created, the history it is sent.

Why: a reconnect storm is thousands of these at once. Through SQLAlchemy and aiosqlite each was
a transaction of its own with several thread hops (and on SQLite an fsync per registration); as
plans they are a few compiled statements each, group-committed with the messages on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.connect_sql import ConnectStatements
from chatserver.adapters.sql.outbox import outbox_steps
from chatserver.adapters.sql.plan import Plan, Refused, Step
from chatserver.domain.events import RoomCreated
from chatserver.domain.models import GuestSession, Message, NewRoom, Room, RoomStatus
from chatserver.ports.store import NoSuchBusiness, OpenedRoom, RoomQuotaExceeded
from chatserver.usecases.dispatch import webhook_events


def owner_key(guest_id: str | None, user_id: str | None) -> str:
    """The active-room key: one active room per guest (or customer) and business."""
    return f"guest:{guest_id}" if guest_id else f"user:{user_id}"


class ConnectPlans:
    def __init__(self, statements: ConnectStatements, *, new_id: Callable[[], str]) -> None:
        self._sql = statements
        self._new_id = new_id

    # guests

    def create_guest(self, guest: GuestSession, session_hash: str) -> Plan[GuestSession]:
        insert = self._sql.insert_guest
        values = {
            "guest_id": guest.guest_id,
            "session_hash": session_hash,
            "user_agent": guest.user_agent,
            "created_at": guest.created_at,
            "last_seen_at": guest.last_seen_at,
            "expired": guest.expired,
        }
        yield Step(insert.sql, insert.bind(values), False, key=guest.guest_id)
        return guest

    def resume_guest(self, session_hash: str, now: int, timeout_ms: int) -> Plan[GuestSession | None]:
        """The guest behind ``session_hash``, marked seen now, if it is not expired nor idle
        longer than ``timeout_ms`` (then it is marked expired); ``None`` otherwise."""
        sql = self._sql
        row = yield Step(sql.find_guest.sql, sql.find_guest.bind({"session_hash": session_hash}), True)
        if row is None:
            return None
        guest = rows.guest_from_driver(row)
        if guest.expired:
            return None
        if now - guest.last_seen_at > timeout_ms:
            yield Step(sql.expire_guest.sql, sql.expire_guest.bind({"guest_id": guest.guest_id}), False)
            return None
        yield Step(sql.touch_guest.sql, sql.touch_guest.bind({"guest_id": guest.guest_id, "now": now}), False)
        return GuestSession(guest.guest_id, guest.user_agent, guest.created_at, now, False)

    def touch_guest(self, guest_id: str, now: int) -> Plan[None]:
        touch = self._sql.touch_guest
        yield Step(touch.sql, touch.bind({"guest_id": guest_id, "now": now}), False, key=guest_id)

    # rooms

    def get_room(self, room_id: str) -> Plan[Room | None]:
        get = self._sql.get_room
        row = yield Step(get.sql, get.bind({"room_id": room_id}), True)
        return None if row is None else rows.room_from_driver(row)

    def find_active_room(self, business_id: str, key: str) -> Plan[OpenedRoom | None]:
        find = self._sql.find_active_room
        row = yield Step(find.sql, find.bind({"business_id": business_id, "owner_key": key}), True)
        return None if row is None else OpenedRoom(rows.room_from_driver(row), created=False, had_rooms=True)

    def open_room(self, new: NewRoom, now: int, max_guest_rooms: int | None) -> Plan[OpenedRoom]:
        """The active room of ``new``'s guest or customer with the business, created if there is
        none. Raises ``Refused`` (no such business, or the guest's rooms quota reached) and
        ``Conflict`` (a concurrent join created it first: the caller finds that one instead).

        With ``max_guest_rooms`` the guest's row is locked (``FOR UPDATE``; SQLite serializes
        writers anyway) while its rooms are counted and the new one inserted, so two instances
        creating rooms for one guest at once cannot both take the last slot."""
        sql = self._sql
        key = owner_key(new.guest_id, new.user_id)
        lookup = sql.business_and_active_room
        # keyed by the owner: the PostgreSQL writer runs the joins of different visitors side by
        # side (``plan.Step.key``), those of one visitor (two tabs) one after the other
        found = yield Step(lookup.sql, lookup.bind({"business_id": new.business_id, "owner_key": key}), True, key=key)
        if found is None:
            raise Refused(NoSuchBusiness(new.business_id))
        if found["id"] is not None:
            return OpenedRoom(rows.room_from_driver(found), created=False, had_rooms=True)
        had_rooms = new.guest_id is None
        if new.guest_id is not None:
            guest = {"guest_id": new.guest_id}
            if max_guest_rooms is not None:
                yield Step(sql.lock_guest.sql, sql.lock_guest.bind(guest), True, key=key)
            counted = yield Step(sql.count_guest_rooms.sql, sql.count_guest_rooms.bind(guest), True, key=key)
            count = int(counted[0])
            if max_guest_rooms is not None and count >= max_guest_rooms:
                raise Refused(RoomQuotaExceeded(new.guest_id))
            had_rooms = count > 0
        room = Room(
            id=self._new_id(),
            business_id=new.business_id,
            room_name=new.room_name,
            user_type=new.user_type,
            user_id=new.user_id,
            user_name=new.user_name,
            is_guest=new.is_guest,
            guest_id=new.guest_id,
            user_agent=new.user_agent,
            email=new.email,
            phone=new.phone,
            tags=tuple(new.tags),
            is_active=True,
            last_message=None,
            last_message_at=None,
            last_seq=0,
            created_at=now,
            extra={"locale": new.locale} if new.locale else {},
            status=RoomStatus.OPEN,
        )
        yield Step(
            sql.insert_room.sql, sql.insert_room.bind(rows.room_values(room, key, activity_at=now)), False, key=key
        )
        if found["business_hooked"]:
            yield from outbox_steps(sql.insert_outbox, webhook_events(RoomCreated(room), now))
        return OpenedRoom(room, created=True, had_rooms=had_rooms)

    # messages

    def list_messages(
        self, room_id: str, *, before_seq: int | None, after_seq: int | None, limit: int
    ) -> Plan[list[Message]]:
        """After ``after_seq``: the oldest ``limit`` following it. Otherwise the newest ``limit``
        (before ``before_seq`` if given). Always returned oldest first."""
        sql = self._sql
        params: dict[str, Any] = {"room_id": room_id, "n": limit}
        if after_seq is not None:
            statement = sql.messages_after
            params["after_seq"] = after_seq
        elif before_seq is not None:
            statement = sql.messages_before
            params["before_seq"] = before_seq
        else:
            statement = sql.messages_newest
        found: Sequence[rows.DriverRow] = yield Step(statement.sql, statement.bind(params), True, many=True)
        messages = [rows.message_from_driver(row) for row in found]
        if after_seq is None:
            messages.reverse()
        return messages
