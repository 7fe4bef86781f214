"""Message-driven ``chat:room-updated``: the first update of a room goes out at once, those
within the window after it become one update with the newest state at its end, and any other
room change is announced at once and supersedes a pending coalesced update."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from chatserver.domain.models import Room
from chatserver.domain.pages import PageView
from chatserver.protocol import events
from chatserver.usecases.notifier import Notifier

WINDOW_MS = 80
ROOM = Room("r1", "b1", "Chat", "guest", None, "Visitor", True, "g1", None, None, None, (), True, None, None, 1, 0)


class FakeHub:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []

    async def publish_business_event(self, business_id: str, event: str, data: dict[str, Any]) -> None:
        self.published.append((business_id, event, data))

    def updates(self) -> list[tuple[int, int, str]]:
        return [(d["lastSeq"], d["unreadCount"], d["status"]) for _, e, d in self.published if e == events.ROOM_UPDATED]


def _at(seq: int, **changes: Any) -> Room:
    return replace(ROOM, last_seq=seq, unread_by_staff=seq, **changes)


def _notifier(hub: FakeHub, window_ms: int = WINDOW_MS) -> Notifier:
    return Notifier(hub, coalesce_ms=window_ms)  # type: ignore[arg-type]


async def test_a_burst_is_one_update_now_and_one_with_the_newest_state_at_the_end():
    hub = FakeHub()
    notifier = _notifier(hub)
    for seq in range(1, 6):
        await notifier.message_activity(_at(seq))
    assert hub.updates() == [(1, 1, "open")]
    await asyncio.sleep(WINDOW_MS * 2 / 1000)
    assert hub.updates() == [(1, 1, "open"), (5, 5, "open")]


async def test_a_message_right_after_the_window_ends_does_not_overtake_its_update():
    """The window's update is published by a task; a message arriving before that task runs
    must not go out first (the older row would then be the list's last word)."""
    hub = FakeHub()
    notifier = _notifier(hub)
    await notifier.message_activity(_at(1))
    await notifier.message_activity(_at(2))  # pending until the window ends
    notifier._flush(ROOM.id)  # the window's timer fires ...
    await notifier.message_activity(_at(3))  # ... and a message comes before its task has run
    await asyncio.sleep(WINDOW_MS * 2 / 1000)
    assert hub.updates() == [(1, 1, "open"), (2, 2, "open"), (3, 3, "open")]


async def test_an_older_state_arriving_late_does_not_replace_a_newer_pending_one():
    hub = FakeHub()
    notifier = _notifier(hub)
    await notifier.message_activity(_at(1))
    await notifier.message_activity(_at(3))
    await notifier.message_activity(_at(2))
    await asyncio.sleep(WINDOW_MS * 2 / 1000)
    assert hub.updates() == [(1, 1, "open"), (3, 3, "open")]


async def test_another_change_goes_out_at_once_and_drops_the_pending_update():
    hub = FakeHub()
    notifier = _notifier(hub)
    await notifier.message_activity(_at(1))
    await notifier.message_activity(_at(2))
    await notifier.room_updated(_at(2, status="closed"))
    await asyncio.sleep(WINDOW_MS * 2 / 1000)
    assert hub.updates() == [(1, 1, "open"), (2, 2, "closed")]  # never back to a stale "open"


async def test_a_page_view_goes_out_at_once_with_current_page_and_keeps_coalescing():
    hub = FakeHub()
    notifier = _notifier(hub)
    view = PageView("https://shop.example/pricing", "Pricing", 1_767_225_600_000)
    await notifier.message_activity(_at(1))
    await notifier.message_activity(_at(2))  # pending
    await notifier.room_updated(_at(2), current_page=view)  # read after message 2: drops it
    await notifier.message_activity(_at(3))  # a new window starts from the page view's update
    await asyncio.sleep(WINDOW_MS * 2 / 1000)
    assert hub.updates() == [(1, 1, "open"), (2, 2, "open"), (3, 3, "open")]
    pages = [d.get("currentPage") for _, _, d in hub.published]
    assert pages == [None, {"url": view.url, "title": "Pricing", "at": "2026-01-01T00:00:00.000Z"}, None]


async def test_a_change_read_before_a_newer_message_leaves_that_messages_update_pending():
    """A page view (or any change) stored just before a message committed but announced just
    after it: its row is older than the pending one, which still goes out at the window's end."""
    hub = FakeHub()
    notifier = _notifier(hub)
    await notifier.message_activity(_at(1))
    await notifier.message_activity(_at(3))  # pending
    await notifier.room_updated(_at(2))
    await asyncio.sleep(WINDOW_MS * 2 / 1000)
    assert hub.updates() == [(1, 1, "open"), (2, 2, "open"), (3, 3, "open")]


async def test_a_quiet_room_is_updated_at_once_again():
    hub = FakeHub()
    notifier = _notifier(hub)
    await notifier.message_activity(_at(1))
    await asyncio.sleep(WINDOW_MS * 1.5 / 1000)
    await notifier.message_activity(_at(2))
    assert hub.updates() == [(1, 1, "open"), (2, 2, "open")]
    assert notifier._pending == {}


async def test_rooms_are_coalesced_separately():
    hub = FakeHub()
    notifier = _notifier(hub)
    await notifier.message_activity(_at(1))
    await notifier.message_activity(replace(_at(1), id="r2"))
    assert [d["roomId"] for _, _, d in hub.published] == ["r1", "r2"]


async def test_window_zero_announces_every_message():
    hub = FakeHub()
    notifier = _notifier(hub, window_ms=0)
    for seq in range(1, 4):
        await notifier.message_activity(_at(seq))
    assert hub.updates() == [(1, 1, "open"), (2, 2, "open"), (3, 3, "open")]
