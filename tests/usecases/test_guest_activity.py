"""Guest activity marks: at most one a minute, written behind the send (never holding its ack),
and a failed write is logged, not raised."""

from __future__ import annotations

import asyncio
from typing import Any

from chatserver.adapters.memory.limits import MemoryRateLimiter
from chatserver.config import Settings
from chatserver.domain.models import Principal, Role
from chatserver.ports.store import StoreError
from chatserver.usecases.conversations import ChatService

GUEST = Principal(role=Role.GUEST, user_id="guest_1_abcdefgh", name="Guest")
STAFF = Principal(role=Role.STAFF, user_id="staff-1", name="Alice", business_id="b1")


class TouchStore:
    def __init__(self) -> None:
        self.touched: list[tuple[str, int]] = []
        self.gate = asyncio.Event()
        self.fail = False

    async def touch_guest(self, guest_id: str, now: int) -> None:
        await self.gate.wait()
        if self.fail:
            raise StoreError("database unavailable: OperationalError")
        self.touched.append((guest_id, now))


def _service(store: TouchStore, clock: list[int]) -> ChatService:
    unused: Any = object()  # activity marks post nothing and notify no one
    return ChatService(
        store=store,  # type: ignore[arg-type]
        limiter=MemoryRateLimiter(),
        settings=Settings(),
        clock=lambda: clock[0],
        poster=unused,
        dispatcher=unused,
        contacts=unused,
        automation=unused,
    )


async def test_the_mark_is_written_behind_the_send_at_most_once_a_minute():
    store, clock = TouchStore(), [1_000_000]
    service = _service(store, clock)
    last = service.touch_guest(GUEST, clock[0] - 60_000)
    assert last == clock[0] and store.touched == []  # returned before the write: nothing waited on it
    clock[0] += 30_000
    assert service.touch_guest(GUEST, last) == last  # not due again within the minute
    store.gate.set()
    await service.wait_background()
    assert store.touched == [("guest_1_abcdefgh", 1_000_000)]
    assert service.touch_guest(STAFF, 0) == 0  # staff have no guest session


async def test_a_failed_mark_is_logged_not_raised(caplog):
    store, clock = TouchStore(), [1_000_000]
    store.fail = True
    store.gate.set()
    service = _service(store, clock)
    service.touch_guest(GUEST, 0)
    await service.wait_background()
    assert store.touched == [] and "guest activity not recorded" in caplog.text
