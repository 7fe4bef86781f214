"""Abuse limits over real sockets: connections per address, frames per second, rooms per
connection, and which address counts behind a proxy. Exceeding a limit answers ``rate_limited``
or ``limit_reached``, or closes with 4429, and never touches other clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.adapters.http.served import http_server  # noqa: F401 - the server under test
from tests.conftest import make_token
from tests.helpers import WsClient


async def _room(client: WsClient, business: str, name: str = "A") -> str:
    return str((await client.call("chat:join-room", {"businessId": business, "userName": name}))["room"]["_id"])


# connections per address


@pytest.mark.parametrize("overrides", [{"max_connections_per_ip": 3}])
async def test_connections_per_address_are_capped_with_4429(connect, business, overrides):
    clients = [await connect() for _ in range(3)]
    refused = await connect(first=False)
    frame = await refused.next()
    assert frame["event"] == "error" and frame["data"]["code"] == "rate_limited"
    assert await refused.wait_closed() == 4429
    assert not refused.events("guest:registered")  # refused before any guest is created
    room_id = await _room(clients[0], business)  # those already connected are not affected
    await clients[0].call("chat:send-message", {"roomId": room_id, "content": "fine"})
    clients[1].close()
    await clients[0].call("chat:history", {"roomId": room_id})  # let the server see the close
    for _ in range(50):
        again = await connect(first=False)
        first = await again.next()
        if first["event"] == "guest:registered":
            break
        await asyncio.sleep(0.05)
    assert first["event"] == "guest:registered"  # a freed slot is usable again


@pytest.mark.parametrize("overrides", [{"max_connections_per_ip": 2, "trust_proxy_headers": False}])
async def test_proxy_headers_are_ignored_unless_trusted(connect, overrides):
    for n in range(2):
        await connect(headers={"X-Forwarded-For": f"203.0.113.{n}"})
    spoofed = await connect(first=False, headers={"X-Forwarded-For": "203.0.113.99", "X-Real-Ip": "203.0.113.98"})
    assert await spoofed.wait_closed() == 4429  # all three came from 127.0.0.1


@pytest.mark.parametrize("overrides", [{"max_connections_per_ip": 2, "trust_proxy_headers": True}])
async def test_trusted_proxy_headers_give_each_client_its_own_count(connect, overrides):
    for n in range(2):
        await connect(headers={"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.0"})
    for n in range(2):  # other addresses behind the same proxy still get in
        await connect(headers={"X-Forwarded-For": f"203.0.113.{10 + n}"})
    again = await connect(first=False, headers={"X-Forwarded-For": "203.0.113.0"})
    assert await again.wait_closed() == 4429  # the last hop (set by our proxy) is what counts


# frames per second


@pytest.mark.parametrize("overrides", [{"max_frames_per_second": 5, "frame_burst": 5}])
async def test_a_flooding_connection_is_rate_limited_then_closed_and_others_carry_on(connect, business, overrides):
    flooder = await connect(token=make_token("customer", "Flood"))
    room_id = await _room(flooder, business, "Flood")
    neighbour = await connect(token=make_token("customer", "Calm"))
    calm_room = await _room(neighbour, business, "Calm")
    for ack in range(1, 61):  # 60 frames at once: 12 times the burst
        flooder.emit("chat:history", {"roomId": room_id}, ack)
    assert await flooder.wait_closed() == 4429
    acks = [f for f in flooder.frames if f["event"] == "ack"]
    ok = [f for f in acks if "data" in f]
    limited = [f["error"] for f in acks if "error" in f]
    assert len(ok) >= 4  # the burst went through (one token went to the join)
    assert limited and all(e["code"] == "rate_limited" and 0 < e["retryAfterMs"] <= 1000 for e in limited)
    assert len(acks) < 60  # the server stopped answering once it closed the connection
    sent = await neighbour.call("chat:send-message", {"roomId": calm_room, "content": "still fine"})
    assert sent["seq"] == 1


@pytest.mark.parametrize("overrides", [{"max_frames_per_second": 20, "frame_burst": 3}])
async def test_a_client_that_waits_retry_after_is_served_and_never_closed(connect, business, overrides):
    client = await connect(token=make_token("customer", "Polite"))
    room_id = await _room(client, business, "Polite")

    async def politely(event: str, data: dict[str, Any]) -> dict[str, Any]:
        while True:
            reply = await client.request(event, data)
            if "error" not in reply:
                return dict(reply["data"])
            assert reply["error"]["code"] == "rate_limited"
            await asyncio.sleep(reply["error"]["retryAfterMs"] / 1000)

    for n in range(15):
        await politely("chat:send-message", {"roomId": room_id, "content": f"m{n}"})
    history = await politely("chat:history", {"roomId": room_id})
    assert [m["content"] for m in history["messages"]] == [f"m{n}" for n in range(15)]
    assert client.close_code is None


@pytest.mark.parametrize("overrides", [{"max_frames_per_second": 2, "frame_burst": 2}])
async def test_frames_without_ack_are_refused_with_an_error_frame(connect, overrides):
    client = await connect()
    for _ in range(3):
        client.emit("chat:dance", {})
    errors = [await client.wait_for("error") for _ in range(3)]
    assert [e["data"]["code"] for e in errors] == ["unknown_event", "unknown_event", "rate_limited"]
    assert errors[2]["data"]["event"] == "chat:dance" and errors[2]["data"]["retryAfterMs"] > 0


# rooms per connection


@pytest.mark.parametrize("overrides", [{"max_rooms_per_connection": 2}])
async def test_rooms_per_connection_are_capped_with_limit_reached(connect, business, overrides):
    guests = [await connect() for _ in range(3)]
    rooms = [await _room(guest, business, f"G{n}") for n, guest in enumerate(guests)]
    staff = await connect(token=make_token("staff", "Sam", business))
    await staff.call("chat:join-room", {"roomId": rooms[0]})
    await staff.call("chat:join-room", {"roomId": rooms[1]})
    reply = await staff.request("chat:join-room", {"roomId": rooms[2]})
    assert reply["error"]["code"] == "limit_reached"
    await staff.call("chat:join-room", {"roomId": rooms[0]})  # a room it follows: fine
    reply = await staff.request("chat:send-message", {"roomId": rooms[2], "content": "not stored"})
    assert reply["error"]["code"] == "limit_reached"
    assert (await guests[2].call("chat:history", {"roomId": rooms[2]}))["messages"] == []
    other_tab = await connect(token=make_token("staff", "Sam", business))  # the cap is per connection
    await other_tab.call("chat:send-message", {"roomId": rooms[2], "content": "from another tab"})
    await guests[2].wait_for("chat:new-message", content="from another tab")


async def test_defaults_are_generous_for_normal_use(connect, business, settings):
    assert settings.max_connections_per_ip >= 50 and settings.max_frames_per_second >= 10
    client = await connect(token=make_token("customer", "Normal"))
    room_id = await _room(client, business, "Normal")
    for n in range(30):
        await client.call("chat:send-message", {"roomId": room_id, "content": f"n{n}"})
    assert client.close_code is None and not [f for f in client.frames if "error" in f]
