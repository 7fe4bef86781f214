"""The dispatcher: what each business event becomes, as webhook outbox events and as pushes."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from chatserver.domain.business import Contact
from chatserver.domain.events import (
    GuestConverted,
    GuestUpdated,
    MessagePosted,
    RoomAssigned,
    RoomClosed,
    RoomCreated,
    RoomRated,
    RoomRead,
    RoomReopened,
    RoomTagged,
)
from chatserver.domain.models import Message, Principal, Role, Room, RoomStatus, SenderType
from chatserver.domain.ratings import Rating
from chatserver.protocol import events
from chatserver.protocol.webhook_events import EventType
from chatserver.usecases.dispatch import Dispatcher, webhook_events
from chatserver.usecases.notifier import Notifier

NOW = 1_767_609_005_000
ROOM = Room("r1", "b1", "Chat", "guest", None, "Visitor", True, "g1", None, None, None, (), True, None, None, 1, 0)
STAFF = Principal(Role.STAFF, "s1", "Sam", "b1")
GUEST = Principal(Role.GUEST, "g1", "Visitor")
MESSAGE = Message("m1", "r1", 1, "g1", SenderType.GUEST, "Visitor", True, "hello", NOW)


class FakeHub:
    def __init__(self) -> None:
        self.pushed: list[tuple[str, str, str]] = []  # (channel kind, target, event)

    async def publish_business_event(self, business_id: str, event: str, data: dict[str, Any]) -> None:
        self.pushed.append(("business", business_id, event))

    async def publish_room_event(self, room_id: str, event: str, data: object) -> None:
        self.pushed.append(("room", room_id, event))

    async def publish_message(self, message: Message) -> None:
        self.pushed.append(("room", message.room_id, "message"))


def _dispatcher() -> tuple[Dispatcher, FakeHub]:
    hub = FakeHub()
    notifier = Notifier(hub, coalesce_ms=0)  # type: ignore[arg-type]
    return Dispatcher(hub=hub, notifier=notifier), hub  # type: ignore[arg-type]


def test_each_webhook_reported_change_becomes_its_one_event():
    contact = Contact("c1", "b1", "a@example.com", None, None, NOW, NOW)
    cases = [
        (RoomCreated(ROOM), EventType.ROOM_CREATED),
        (MessagePosted(MESSAGE, ROOM), EventType.MESSAGE_CREATED),
        (RoomClosed(ROOM, STAFF), EventType.ROOM_CLOSED),
        (GuestUpdated(ROOM), EventType.GUEST_UPDATED),
        (GuestConverted(ROOM, contact), EventType.GUEST_CONVERTED),
        (RoomRated(ROOM, Rating(4, None, NOW, NOW)), EventType.ROOM_RATED),
    ]
    for event, expected in cases:
        (outbox,) = webhook_events(event, NOW)
        assert (outbox.type, outbox.business_id, outbox.order_key, outbox.created_at) == (
            expected,
            "b1",
            "room:r1",
            NOW,
        )


def test_room_closed_names_who_closed_it():
    (outbox,) = webhook_events(RoomClosed(ROOM, STAFF), NOW)
    closed_by = json.loads(outbox.body)["data"]["closedBy"]
    assert closed_by == {"userId": "s1", "userType": "staff", "name": "Sam"}


def test_changes_no_webhook_reports_become_no_event():
    for event in (RoomReopened(ROOM, STAFF), RoomAssigned(ROOM), RoomTagged(ROOM), RoomRead(ROOM, "staff", 1, STAFF)):
        assert webhook_events(event, NOW) == []


def test_room_rated_carries_the_room_and_its_rating():
    rated = replace(
        ROOM,
        status=RoomStatus.CLOSED,
        closed_at=NOW - 5,
        rating_score=4,
        rating_comment="ok",
        rated_at=NOW,
        rated_closure_at=NOW - 5,
    )
    (outbox,) = webhook_events(RoomRated(rated, Rating(4, "ok", NOW, NOW - 5)), NOW)
    data = json.loads(outbox.body)["data"]
    assert data["rating"] == {"score": 4, "comment": "ok", "ratedAt": "2026-01-05T10:30:05.000Z"}
    assert data["room"]["rating"] == data["rating"]


async def test_a_rating_updates_the_dashboards_only():
    dispatcher, hub = _dispatcher()
    await dispatcher.publish(RoomRated(ROOM, Rating(5, None, NOW, NOW)))
    assert hub.pushed == [("business", "b1", events.ROOM_UPDATED)]


async def test_a_close_tells_the_room_then_the_dashboards():
    dispatcher, hub = _dispatcher()
    await dispatcher.publish(RoomClosed(replace(ROOM, status=RoomStatus.CLOSED), STAFF))
    assert hub.pushed == [("room", "r1", events.ROOM_STATUS), ("business", "b1", events.ROOM_UPDATED)]


async def test_a_message_that_reopened_the_room_announces_the_reopen_first():
    dispatcher, hub = _dispatcher()
    await dispatcher.publish(MessagePosted(MESSAGE, ROOM, reopened_by=GUEST))
    assert hub.pushed == [
        ("room", "r1", events.ROOM_STATUS),
        ("room", "r1", "message"),
        ("business", "b1", events.ROOM_UPDATED),
    ]


async def test_a_visitor_read_receipt_does_not_touch_the_dashboards():
    dispatcher, hub = _dispatcher()
    await dispatcher.publish(RoomRead(ROOM, "visitor", 1, GUEST))
    assert hub.pushed == [("room", "r1", events.READ)]
