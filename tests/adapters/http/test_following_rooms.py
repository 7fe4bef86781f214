"""Which rooms a connection follows: chat:leave-room, re-joining, and frames sent before the
first server frame (protocol.md §3, §4)."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import make_token


async def _room(client, business: str, name: str) -> str:
    joined = await client.call("chat:join-room", {"businessId": business, "userName": name})
    return joined["room"]["_id"]


@pytest.mark.parametrize("overrides", [{"max_rooms_per_connection": 1}])
async def test_leave_room_stops_live_delivery_and_frees_the_place(connect, business, overrides):
    guests = [await connect() for _ in range(2)]
    first, second = [await _room(guest, business, f"G{n}") for n, guest in enumerate(guests)]
    staff = await connect(token=make_token("staff", "Sam", business))
    await staff.call("chat:join-room", {"roomId": first})
    assert (await staff.request("chat:join-room", {"roomId": second}))["error"]["code"] == "limit_reached"

    assert await staff.call("chat:leave-room", {"roomId": first}) == {"roomId": first, "left": True}
    await guests[0].call("chat:send-message", {"roomId": first, "content": "while staff left"})
    await staff.call("chat:join-room", {"roomId": second})  # the freed place
    await guests[1].call("chat:send-message", {"roomId": second, "content": "to the followed room"})
    await staff.wait_for("chat:new-message", content="to the followed room")
    assert not [f for f in staff.frames if f.get("data", {}).get("content") == "while staff left"]
    # history is untouched: leaving only stops this connection's live delivery
    history = await staff.call("chat:history", {"roomId": first})
    assert [m["content"] for m in history["messages"]] == ["while staff left"]


async def test_leave_room_of_a_room_not_followed_is_no_error(connect, business):
    guest = await connect()
    assert await guest.call("chat:leave-room", {"roomId": "0" * 24}) == {"roomId": "0" * 24, "left": False}
    room = await _room(guest, business, "Ann")
    assert (await guest.call("chat:leave-room", {"roomId": room}))["left"] is True
    assert (await guest.call("chat:leave-room", {"roomId": room}))["left"] is False
    reply = await guest.request("chat:leave-room", {})
    assert reply["error"]["code"] == "invalid_payload" and reply["error"]["field"] == "roomId"


async def test_sending_after_leaving_follows_the_room_again(connect, business):
    guest = await connect()
    room = await _room(guest, business, "Ann")
    await guest.call("chat:leave-room", {"roomId": room})
    sent = await guest.call("chat:send-message", {"roomId": room, "content": "back"})
    pushed = await guest.wait_for("chat:new-message", content="back")
    assert pushed["data"]["_id"] == sent["_id"]


async def test_user_name_and_email_on_rejoining_an_existing_room_are_ignored(connect, business):
    guest = await connect()
    first = await guest.call("chat:join-room", {"businessId": business, "userName": "Ann", "email": "a@example.com"})
    again = await guest.call("chat:join-room", {"businessId": business, "userName": "Bob", "email": "b@example.com"})
    assert again["room"]["_id"] == first["room"]["_id"]
    assert again["room"]["roomName"] == "Chat with Ann"
    assert again["room"]["metadata"]["userName"] == "Ann"
    assert again["room"]["metadata"]["guestInfo"]["email"] == "a@example.com"


async def test_frames_sent_before_the_first_server_frame_are_answered_after_it(ws_url, business):
    """The client may send at once; its frames wait for its registration and keep their order."""
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(ws_url)
    try:
        join = {"event": "chat:join-room", "ack": 1, "data": {"businessId": business, "userName": "Quick"}}
        await conn.write_message(json.dumps(join))
        await conn.write_message(json.dumps({"event": "chat:dance", "ack": 2}))
        frames = [json.loads(await asyncio.wait_for(conn.read_message(), 5)) for _ in range(3)]
    finally:
        conn.close()
    assert [f["event"] for f in frames] == ["guest:registered", "ack", "ack"]
    assert frames[1]["ack"] == 1 and frames[1]["data"]["room"]["roomName"] == "Chat with Quick"
    assert frames[2]["ack"] == 2 and frames[2]["error"]["code"] == "unknown_event"
