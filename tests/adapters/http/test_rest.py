"""REST room list and messages: staff of the business only, paging, JSON errors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_token
from tests.rest import api


async def _guest_room(connect, business: str, name: str, message: str | None = None) -> str:
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": name}))["room"]["_id"]
    if message:
        await guest.call("chat:send-message", {"roomId": room_id, "content": message})
    return str(room_id)


async def test_room_list_for_staff_newest_first_without_session_ids(connect, base_url, business, staff_token):
    first = await _guest_room(connect, business, "First", "older")
    second = await _guest_room(connect, business, "Second", "newer")
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", staff_token)
    assert status == 200
    assert [r["_id"] for r in body["rooms"]] == [second, first]
    room = body["rooms"][0]
    assert room["roomName"] == "Chat with Second" and room["lastMessage"] == "newer"
    assert room["metadata"]["isGuest"] is True and room["tags"] == ["anonymous"]
    assert "sessionId" not in json.dumps(body)
    assert body["nextCursor"] is None


async def test_room_list_paging_with_cursor(connect, base_url, business, staff_token):
    made = [await _guest_room(connect, business, f"G{i}", f"m{i}") for i in range(5)]
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        status, body = await api(
            base_url, "GET", f"/api/chat/rooms?businessId={business}&limit=2&cursor={cursor}", staff_token
        )
        assert status == 200 and len(body["rooms"]) <= 2
        seen += [r["_id"] for r in body["rooms"]]
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))


async def test_room_list_requires_staff_of_that_business(base_url, business, other_business):
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}")
    assert status == 401 and body["error"]["code"] == "auth_invalid"
    status, body = await api(
        base_url, "GET", f"/api/chat/rooms?businessId={business}", make_token("staff", "Eve", other_business)
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", make_token("customer", "Carl"))
    assert status == 403
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", "garbage")
    assert status == 401
    status, body = await api(base_url, "GET", "/api/chat/rooms", make_token("staff", "Eve", other_business))
    assert status == 400 and body["error"]["field"] == "businessId"


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=101", "cursor=%21%21"])
async def test_room_list_bad_parameters(base_url, business, staff_token, query):
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}&{query}", staff_token)
    assert status == 400 and body["error"]["code"] == "invalid_payload"


async def test_room_messages_and_cross_business_isolation(connect, base_url, business, other_business, staff_token):
    room_id = await _guest_room(connect, business, "Reader", "hello")
    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room_id}/messages", staff_token)
    assert status == 200 and [m["content"] for m in body["messages"]] == ["hello"] and body["hasMore"] is False
    outsider = make_token("staff", "Eve", other_business)
    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room_id}/messages", outsider)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room_id}/messages")
    assert status == 401
    status, body = await api(base_url, "GET", "/api/chat/rooms/nope/messages", staff_token)
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_staff_of_other_business_cannot_join_or_read_over_websocket(connect, business, other_business):
    room_id = await _guest_room(connect, business, "Private", "secret")
    outsider = await connect(token=make_token("staff", "Eve", other_business))
    for event, data in [
        ("chat:join-room", {"roomId": room_id}),
        ("chat:history", {"roomId": room_id}),
        ("chat:send-message", {"roomId": room_id, "content": "hi"}),
    ]:
        assert (await outsider.request(event, data))["error"]["code"] == "forbidden"
    assert not outsider.events("chat:new-message")


async def test_health_and_unknown_api_route(base_url):
    status, body = await api(base_url, "GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
    status, body = await api(base_url, "GET", "/api/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"
