"""Guest session expiry: the sweeper marks idle sessions expired; their rooms stay visible."""

from __future__ import annotations

import asyncio

from chatserver.usecases.sweeper import GuestSweeper
from tests.rest import api


async def test_idle_sessions_expire_and_their_rooms_stay_visible(runtime, connect, base_url, business, staff_token):
    guest = await connect()
    session_id = guest.frames[0]["data"]["sessionId"]
    guest_id = guest.frames[0]["data"]["guestId"]
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "Idle"}))["room"]["_id"]
    guest.close()
    fresh = await connect()
    fresh_id = fresh.frames[0]["data"]["guestId"]

    timeout = runtime.settings.guest_session_timeout
    active = await runtime.store.find_guest(_hash(session_id))
    clock = lambda: active.last_seen_at + timeout + 1  # noqa: E731 - just past this guest's timeout
    sweeper = GuestSweeper(runtime.store, timeout_ms=timeout, interval_s=0, clock=clock)
    assert await sweeper.sweep_once() >= 1
    assert (await runtime.store.find_guest(_hash(session_id))).expired is True
    fresh_guest = await runtime.store.find_guest(_hash(fresh.frames[0]["data"]["sessionId"]))
    assert fresh_guest.guest_id == fresh_id

    again = await connect(sessionId=session_id)
    assert again.frames[0]["data"]["resumed"] is False and again.frames[0]["data"]["guestId"] != guest_id
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", token=staff_token)
    assert status == 200 and room_id in [r["_id"] for r in body["rooms"]]


def _hash(session_id):
    from chatserver.domain.ids import hash_session_id

    return hash_session_id(session_id)


class CountingStore:
    def __init__(self, fail_first: bool) -> None:
        self.calls = 0
        self.fail_first = fail_first
        self.called = asyncio.Event()

    async def expire_idle_guests(self, cutoff: int) -> int:
        self.calls += 1
        if self.fail_first and self.calls == 1:
            raise OSError("database went away")
        self.called.set()
        return 0


async def test_the_sweeper_runs_in_the_background_survives_errors_and_stops():
    store = CountingStore(fail_first=True)
    sweeper = GuestSweeper(store, timeout_ms=1000, interval_s=0.01, clock=lambda: 10_000)
    sweeper.start()
    await asyncio.wait_for(store.called.wait(), 5)
    await sweeper.stop()
    calls = store.calls
    assert calls >= 2
    await asyncio.sleep(0.05)
    assert store.calls == calls
