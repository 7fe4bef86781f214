"""Every error code of protocol.md §6, produced over a real WebSocket; the connection stays usable."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from chatserver.ports.store import StoreError
from tests.conftest import SECRET, make_token
from tests.helpers import WsClient


async def _usable(client: WsClient) -> None:
    """After an error the same connection still answers."""
    reply = await client.request("chat:history", {"roomId": "nope"})
    assert reply["error"]["code"] == "not_found"


async def test_bad_json(connect):
    client = await connect()
    client.send_raw("{not json")
    frame = await client.wait_for("error")
    assert frame["data"]["code"] == "bad_json" and frame["data"]["event"] is None
    await _usable(client)


async def test_unpaired_surrogate_is_bad_json(connect):
    client = await connect()
    client.send_raw('{"event":"chat:history","ack":3,"data":{"roomId":"\\ud800"}}')
    frame = await client.wait_for("error")
    assert frame["data"]["code"] == "bad_json"
    await _usable(client)


@pytest.mark.parametrize(
    "frame",
    [
        b'{"event":"chat:history"}',
        "[1,2,3]",
        '"text"',
        '{"data":{}}',
        '{"event":"x","data":[]}',
        '{"event":"x","ack":-1}',
    ],
    ids=["binary", "array", "string", "no-event", "data-not-object", "negative-ack"],
)
async def test_bad_frame(connect, frame):
    client = await connect()
    client.send_raw(frame)
    got = await client.take(lambda f: f["event"] in ("error", "ack"))
    error = got["data"] if got["event"] == "error" else got["error"]
    assert error["code"] == "bad_frame"
    await _usable(client)


async def test_bad_frame_with_valid_ack_is_answered_by_ack(connect):
    client = await connect()
    client.send_raw('{"ack":77,"data":{}}')
    got = await client.take(lambda f: f["event"] == "ack" and f["ack"] == 77)
    assert got["error"]["code"] == "bad_frame"


async def test_unknown_event_with_and_without_ack(connect):
    client = await connect()
    reply = await client.request("chat:dance", {})
    assert reply["error"] == {"code": "unknown_event", "message": "unknown event 'chat:dance'", "field": "event"}
    client.emit("chat:dance", {})
    frame = await client.wait_for("error")
    assert frame["data"]["code"] == "unknown_event" and frame["data"]["event"] == "chat:dance"
    await _usable(client)


@pytest.mark.parametrize(
    ("event", "data", "field"),
    [
        ("chat:send-message", {"content": "hi"}, "roomId"),
        ("chat:send-message", {"roomId": "r", "content": 5}, "content"),
        ("chat:history", {"roomId": "r", "limit": 0}, "limit"),
        ("chat:history", {"roomId": "r", "beforeSeq": "x"}, "beforeSeq"),
        ("chat:join-room", {}, "businessId"),
        ("chat:join-room", {"businessId": "b", "userName": ""}, "userName"),
    ],
)
async def test_invalid_payload_names_the_field(connect, event, data, field):
    client = await connect()
    reply = await client.request(event, data)
    assert reply["error"]["code"] == "invalid_payload"
    assert reply["error"]["field"] == field
    await _usable(client)


async def test_empty_content_is_invalid(connect, business):
    client = await connect()
    room_id = (await client.call("chat:join-room", {"businessId": business, "userName": "E"}))["room"]["_id"]
    reply = await client.request("chat:send-message", {"roomId": room_id, "content": "   "})
    assert reply["error"]["code"] == "invalid_payload" and reply["error"]["field"] == "content"


async def test_too_large_content(connect, business, settings):
    client = await connect()
    room_id = (await client.call("chat:join-room", {"businessId": business, "userName": "L"}))["room"]["_id"]
    reply = await client.request(
        "chat:send-message", {"roomId": room_id, "content": "x" * (settings.max_message_length + 1)}
    )
    assert reply["error"]["code"] == "too_large" and reply["error"]["field"] == "content"
    ok = await client.call("chat:send-message", {"roomId": room_id, "content": "x" * settings.max_message_length})
    assert ok["seq"] == 1


async def test_oversized_frame_closes_with_1009(connect, settings):
    client = await connect()
    client.send_raw(json.dumps({"event": "chat:history", "data": {"roomId": "x" * settings.max_frame_bytes}}))
    assert await client.wait_closed() == 1009


SOON = int(time.time()) + 6 * 3600  # within JWT_MAX_LIFETIME: each token is refused for its own fault


def _expired_token() -> str:
    return jwt.encode({"sub": "u", "role": "customer", "name": "U", "exp": 1}, SECRET, algorithm="HS256")


def _none_token() -> str:
    return jwt.encode(
        {"sub": "u", "role": "staff", "businessId": "b", "name": "U", "exp": SOON}, None, algorithm="none"
    )


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        _expired_token(),
        _none_token(),
        jwt.encode(
            {"sub": "u", "role": "customer", "name": "U", "exp": SOON},
            "another-secret-0123456789abcdef!",
            algorithm="HS256",
        ),
        jwt.encode({"sub": "u", "role": "customer", "exp": SOON}, SECRET, algorithm="HS256"),
        jwt.encode({"sub": "u", "role": "staff", "name": "U", "exp": SOON}, SECRET, algorithm="HS256"),
        jwt.encode({"sub": "u", "role": "admin", "name": "U", "exp": SOON}, SECRET, algorithm="HS256"),
    ],
    ids=["garbage", "expired", "alg-none", "wrong-secret", "no-name", "staff-without-business", "unknown-role"],
)
async def test_bad_token_is_refused_with_4401_not_downgraded(connect, token):
    client = await connect(token=token, first=False)
    frame = await client.next()
    assert frame["event"] == "error" and frame["data"]["code"] == "auth_invalid"
    assert await client.wait_closed() == 4401
    assert not client.events("guest:registered")


async def test_bearer_header_is_accepted(connect, business):
    client = await connect(headers={"Authorization": f"Bearer {make_token('staff', 'Bob', business)}"})
    assert client.frames[0]["event"] == "user:authenticated"
    assert client.frames[0]["data"]["businessId"] == business


async def test_forbidden_and_not_found(connect, business):
    owner = await connect()
    room_id = (await owner.call("chat:join-room", {"businessId": business, "userName": "Owner"}))["room"]["_id"]
    stranger = await connect()
    for event, data in [
        ("chat:join-room", {"roomId": room_id}),
        ("chat:send-message", {"roomId": room_id, "content": "intrude"}),
        ("chat:history", {"roomId": room_id}),
    ]:
        reply = await stranger.request(event, data)
        assert reply["error"]["code"] == "forbidden", (event, reply)
    reply = await stranger.request("chat:join-room", {"businessId": "no-such-business", "userName": "X"})
    assert reply["error"] == {"code": "not_found", "message": "no such business", "field": "businessId"}
    reply = await stranger.request("chat:send-message", {"roomId": "no-such-room", "content": "x"})
    assert reply["error"]["code"] == "not_found"
    history = await owner.call("chat:history", {"roomId": room_id})
    assert history["messages"] == []


@pytest.fixture
def overrides():
    return {"guest_message_rate_limit": 3, "guest_max_rooms_per_session": 2}


async def test_guest_rate_limit_rejects_and_stores_nothing(connect, business, staff_token):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "Fast"}))["room"]["_id"]
    for i in range(3):
        await guest.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"})
    reply = await guest.request("chat:send-message", {"roomId": room_id, "content": "one too many"})
    assert reply["error"]["code"] == "rate_limited"
    assert 0 < reply["error"]["retryAfterMs"] <= 60_000
    staff = await connect(token=staff_token)
    history = await staff.call("chat:history", {"roomId": room_id})
    assert [m["content"] for m in history["messages"]] == ["m0", "m1", "m2"]
    for i in range(5):  # staff are not limited by the guest rule
        await staff.call("chat:send-message", {"roomId": room_id, "content": f"s{i}"})


async def test_max_rooms_per_guest_session(connect, runtime, io_loop):
    from chatserver.domain.clock import now_ms

    ids = [(await runtime.store.create_business(f"B{i}", now_ms())).id for i in range(3)]
    guest = await connect()
    await guest.call("chat:join-room", {"businessId": ids[0], "userName": "G"})
    await guest.call("chat:join-room", {"businessId": ids[1], "userName": "G"})
    again = await guest.call("chat:join-room", {"businessId": ids[0], "userName": "G"})  # existing room: fine
    assert again["room"]["businessId"] == ids[0]
    reply = await guest.request("chat:join-room", {"businessId": ids[2], "userName": "G"})
    assert reply["error"]["code"] == "limit_reached"


async def test_storage_failure_is_unavailable_and_not_acked_as_stored(connect, business, runtime, monkeypatch):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "S"}))["room"]["_id"]

    async def broken(*args, **kwargs):
        raise StoreError("database unavailable: OperationalError")

    monkeypatch.setattr(runtime.store, "append_message", broken)
    reply = await guest.request("chat:send-message", {"roomId": room_id, "content": "lost?", "clientMsgId": "k1"})
    assert reply["error"]["code"] == "unavailable"
    monkeypatch.undo()
    ok = await guest.call("chat:send-message", {"roomId": room_id, "content": "lost?", "clientMsgId": "k1"})
    assert ok["seq"] == 1 and ok["duplicate"] is False


async def test_unexpected_failure_is_internal_without_details(connect, business, runtime, monkeypatch):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "I"}))["room"]["_id"]

    async def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(runtime.store, "list_messages", boom)
    reply = await guest.request("chat:history", {"roomId": room_id})
    assert reply["error"] == {"code": "internal", "message": "internal error"}
    monkeypatch.undo()
    assert (await guest.call("chat:history", {"roomId": room_id}))["messages"] == []
