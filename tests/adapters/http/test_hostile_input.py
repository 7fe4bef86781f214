"""Hostile input the fuzzers reach only rarely, checked one by one over real sockets."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_token
from tests.rawws import RawWebSocket
from tests.rest import api


async def _room(client, business: str) -> str:
    return str((await client.call("chat:join-room", {"businessId": business, "userName": "H"}))["room"]["_id"])


async def test_invalid_utf8_text_frame_drops_only_that_connection(connect, http_server_port, business):
    bystander = await connect()
    room_id = await _room(bystander, business)
    raw = await RawWebSocket.connect(http_server_port[1])
    assert (await raw.read_json())["event"] == "guest:registered"
    raw.send_text(b'{"event":"chat:history","data":{"roomId":"\xff\xfe"}}')
    assert await raw.read_message() is None  # dropped without a close frame (clients see 1006)
    assert raw.close_code is None
    sent = await bystander.call("chat:send-message", {"roomId": room_id, "content": "unaffected"})
    assert sent["seq"] == 1


@pytest.mark.parametrize("content", ["\x00", "hello\x00world"])
async def test_nul_in_content_is_invalid_payload_on_every_backend(connect, business, content):
    client = await connect(token=make_token("customer", "Nul"))
    room_id = await _room(client, business)
    reply = await client.request("chat:send-message", {"roomId": room_id, "content": content})
    assert reply["error"]["code"] == "invalid_payload" and reply["error"]["field"] == "content"
    for event, data, field in [
        ("chat:join-room", {"businessId": "b\x00"}, "businessId"),
        ("chat:join-room", {"businessId": business, "userName": "\x00"}, "userName"),
        ("chat:history", {"roomId": "\x00"}, "roomId"),
        ("chat:send-message", {"roomId": room_id, "content": "x", "clientMsgId": "k\x00"}, "clientMsgId"),
    ]:
        reply = await client.request(event, data)
        assert reply["error"]["code"] == "invalid_payload" and reply["error"]["field"] == field, (event, reply)
    assert (await client.call("chat:history", {"roomId": room_id}))["messages"] == []


@pytest.mark.parametrize("value", [5.0, True, 1e300, "5"])
async def test_integers_must_be_json_integers(connect, business, value):
    client = await connect(token=make_token("customer", "Int"))
    room_id = await _room(client, business)
    for field in ("limit", "afterSeq", "beforeSeq"):
        reply = await client.request("chat:history", {"roomId": room_id, field: value})
        assert reply["error"]["code"] == "invalid_payload" and reply["error"]["field"] == field


async def test_control_characters_and_odd_unicode_are_stored_as_text(connect, business):
    client = await connect(token=make_token("customer", "Ctl"))
    room_id = await _room(client, business)
    content = "tab\there\u0007bell \u202eRTL \U0001f600 \ufeff end"
    sent = await client.call("chat:send-message", {"roomId": room_id, "content": content})
    assert sent["content"] == content.strip()
    history = await client.call("chat:history", {"roomId": room_id})
    assert history["messages"][0]["content"] == content.strip()


@pytest.mark.parametrize("overrides", [{"max_frame_bytes": 4 * 1024 * 1024}])
async def test_one_megabyte_values_are_refused_by_rule_when_the_frame_fits(connect, business, overrides):
    client = await connect(token=make_token("customer", "Big"))
    room_id = await _room(client, business)
    megabyte = "x" * 1_000_000
    reply = await client.request("chat:send-message", {"roomId": room_id, "content": megabyte})
    assert reply["error"]["code"] == "too_large"
    reply = await client.request("chat:join-room", {"businessId": business, "userName": megabyte})
    assert reply["error"]["code"] == "invalid_payload" and reply["error"]["field"] == "userName"
    assert len(reply["error"]["message"]) <= 300  # the value is not echoed back whole
    client.send_raw(json.dumps({"event": megabyte, "ack": 9}))
    frame = await client.take(lambda f: f.get("ack") == 9)
    assert frame["error"]["code"] == "bad_frame"
    assert (await client.call("chat:history", {"roomId": room_id}))["messages"] == []


async def test_one_megabyte_frame_is_closed_with_1009_by_default(connect):
    client = await connect()
    client.send_raw(json.dumps({"event": "chat:send-message", "data": {"roomId": "r", "content": "x" * 1_000_000}}))
    assert await client.wait_closed() == 1009


async def test_user_agent_is_stored_printable_and_bounded(connect, http_server_port, business):
    raw = await RawWebSocket.connect(http_server_port[1], headers={"User-Agent": "bot\t/1.0 v2" + "x" * 5000})
    first = await raw.read_json()
    assert first is not None and first["event"] == "guest:registered"
    raw.send_json({"event": "chat:join-room", "ack": 1, "data": {"businessId": business}})
    ack = await raw.read_json()
    assert ack is not None
    # stored as a label by default; the full header, bounded: test_user_agent_minimisation.py
    assert ack["data"]["room"]["metadata"]["guestInfo"]["userAgent"] == "bot 1"
    raw.close()
    with pytest.raises(ConnectionError, match="400"):  # control characters: tornado refuses the request
        await RawWebSocket.connect(http_server_port[1], headers={"User-Agent": "bot\x01/1.0"})
    assert (await connect()).frames[0]["event"] == "guest:registered"


@pytest.mark.parametrize("path", ["/api/chat/rooms/%00/messages", "/api/chat/rooms?businessId=%00"])
async def test_rest_refuses_nul_with_400(base_url, path, business):
    status, body = await api(base_url, "GET", path, make_token("staff", "A", business))
    assert status == 400
    assert body["error"]["code"] == "invalid_payload"
