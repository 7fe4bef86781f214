"""The dashboard REST API: staff login, room list filters, one room, FAQs, settings, guest
conversion (seed: "Business Dashboard Updates"); analytics in test_analytics_api.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_token
from tests.rest import api


async def join(client, business, name="Visitor", **extra):
    return (await client.call("chat:join-room", {"businessId": business, "userName": name, **extra}))["room"]


async def test_staff_login_token_works_on_rest_and_websocket(runtime, base_url, connect, business):
    await runtime.staff_auth.add_staff(business, "Alice@Example.com", "Alice", "correct horse battery")
    status, body = await api(base_url, "POST", "/api/auth/login", body={"email": "alice@example.com", "password": "x"})
    assert status == 401 and body["error"]["code"] == "auth_invalid"
    status, body = await api(base_url, "POST", "/api/auth/login", body={"email": "nobody@example.com", "password": "x"})
    assert status == 401 and body["error"]["message"] == "wrong email or password"
    status, body = await api(
        base_url, "POST", "/api/auth/login", body={"email": "ALICE@example.com", "password": "correct horse battery"}
    )
    assert status == 200 and body["staff"]["businessId"] == business and "password" not in str(body["staff"])
    token = body["token"]
    status, rooms = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", token=token)
    assert status == 200 and rooms["rooms"] == []
    ws = await connect(token=token)
    assert ws.frames[0]["data"] == {**ws.frames[0]["data"], "userType": "staff", "businessId": business}


@pytest.fixture
def overrides():
    return {"login_rate_limit": 3}


async def test_login_attempts_are_rate_limited(runtime, base_url, business):
    for _ in range(3):
        status, _body = await api(base_url, "POST", "/api/auth/login", body={"email": "x@example.com", "password": "p"})
        assert status == 401
    status, body = await api(base_url, "POST", "/api/auth/login", body={"email": "x@example.com", "password": "p"})
    assert status == 429 and body["error"]["retryAfterMs"] > 0


async def test_room_list_filters_and_paging(connect, runtime, base_url, business, staff_token):
    guest_a = await connect()
    room_a = await join(guest_a, business, "Anna", email="anna@example.com")
    guest_b = await connect()
    room_b = await join(guest_b, business, "Bruno")
    customer = await connect(token=make_token("customer", "Carol"))
    room_c = await join(customer, business, "Carol")
    staff = await connect(token=staff_token)
    await staff.call("chat:close-room", {"roomId": room_b["_id"]})
    await staff.call("chat:assign", {"roomId": room_c["_id"], "staffId": "staff-alice"})
    status, _ = await api(
        base_url, "PATCH", f"/api/chat/rooms/{room_a['_id']}", token=staff_token, body={"tags": ["vip", "anonymous"]}
    )
    assert status == 200

    async def ids(query):
        status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}&{query}", token=staff_token)
        assert status == 200, body
        return {room["_id"] for room in body["rooms"]}

    assert await ids("isGuest=true") == {room_a["_id"], room_b["_id"]}
    assert await ids("isGuest=false") == {room_c["_id"]}
    assert await ids("status=closed") == {room_b["_id"]}
    assert await ids("tag=vip") == {room_a["_id"]}
    assert await ids("tag=anonymous") == {room_a["_id"], room_b["_id"]}
    assert await ids("assignedTo=staff-alice") == {room_c["_id"]}
    assert await ids("q=BRU") == {room_b["_id"]}
    assert await ids("q=anna%40example") == {room_a["_id"]}
    assert await ids("q=100%25") == set()
    assert await ids("isGuest=true&status=open") == {room_a["_id"]}

    seen = []
    cursor = ""
    while True:
        _, page = await api(
            base_url, "GET", f"/api/chat/rooms?businessId={business}&limit=1&cursor={cursor}", token=staff_token
        )
        seen += [r["_id"] for r in page["rooms"]]
        if page["nextCursor"] is None:
            break
        cursor = page["nextCursor"]
    assert sorted(seen) == sorted([room_a["_id"], room_b["_id"], room_c["_id"]])
    for query in ("isGuest=maybe", "status=archived", "tag=" + "x" * 65):
        status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}&{query}", token=staff_token)
        assert status == 400 and body["error"]["code"] == "invalid_payload"


async def test_get_and_patch_one_room(connect, base_url, business, staff_token):
    customer_token = make_token("customer", "Carol")
    customer = await connect(token=customer_token)
    room = await join(customer, business, "Carol")
    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room['_id']}", token=staff_token)
    assert status == 200 and body["room"]["_id"] == room["_id"] and body["room"]["status"] == "open"
    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room['_id']}", token=customer_token)
    assert status == 200
    status, body = await api(
        base_url, "PATCH", f"/api/chat/rooms/{room['_id']}", token=staff_token, body={"status": "closed"}
    )
    assert status == 200 and body["room"]["status"] == "closed"
    status, body = await api(
        base_url, "PATCH", f"/api/chat/rooms/{room['_id']}", token=customer_token, body={"status": "open"}
    )
    assert status == 403
    status, body = await api(
        base_url, "PATCH", f"/api/chat/rooms/{room['_id']}", token=staff_token, body={"status": "archived"}
    )
    assert status == 400 and body["error"]["field"] == "status"
    status, body = await api(base_url, "GET", "/api/chat/rooms/nope", token=staff_token)
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_faq_crud(base_url, business, other_business, staff_token):
    root = f"/api/businesses/{business}/faqs"
    status, faq = await api(
        base_url, "POST", root, token=staff_token, body={"question": "Hours?", "answer": "9-5", "keywords": ["hours"]}
    )
    assert status == 201 and faq["enabled"] is True and faq["keywords"] == ["hours"]
    status, listing = await api(base_url, "GET", root, token=staff_token)
    assert status == 200 and [f["_id"] for f in listing["faqs"]] == [faq["_id"]]
    status, changed = await api(base_url, "PATCH", f"{root}/{faq['_id']}", token=staff_token, body={"enabled": False})
    assert status == 200 and changed["enabled"] is False and changed["question"] == "Hours?"
    status, body = await api(base_url, "POST", root, token=staff_token, body={"question": "  ", "answer": "x"})
    assert status == 400 and body["error"]["field"] == "question"
    status, body = await api(base_url, "POST", root, token=staff_token, raw=b"{not json")
    assert status == 400 and body["error"]["code"] == "bad_json"
    other_staff = make_token("staff", "Olga", other_business)
    status, _ = await api(base_url, "GET", f"{root}/{faq['_id']}", token=other_staff)
    assert status == 403
    status, _ = await api(base_url, "GET", f"/api/businesses/{other_business}/faqs/{faq['_id']}", token=other_staff)
    assert status == 404  # not that business's FAQ
    status, _ = await api(base_url, "DELETE", f"{root}/{faq['_id']}", token=staff_token)
    assert status == 204
    status, _ = await api(base_url, "GET", f"{root}/{faq['_id']}", token=staff_token)
    assert status == 404


def documented_new_business_settings() -> dict:
    """The document protocol.md §10 shows for a new business."""
    doc = (Path(__file__).resolve().parents[3] / "protocol.md").read_text()
    section = doc[doc.index("A new business has every auto-response") :]
    block = section[section.index("```text\n") + len("```text\n") :]
    return json.loads(block[: block.index("```")])


async def test_settings_get_and_put(base_url, business, staff_token):
    path = f"/api/businesses/{business}/settings"
    status, body = await api(base_url, "GET", path, token=staff_token)
    assert status == 200 and body == documented_new_business_settings()
    new = {
        "greeting": {"enabled": True, "message": "Hi!"},
        "businessHours": {"timezone": "Europe/Paris", "weekly": {"mon": [{"open": "09:00", "close": "17:00"}]}},
    }
    status, body = await api(base_url, "PUT", path, token=staff_token, body=new)
    assert status == 200 and body["greeting"] == {"enabled": True, "message": "Hi!"}
    assert (await api(base_url, "GET", path, token=staff_token))[1] == body
    status, body = await api(base_url, "PUT", path, token=staff_token, body={"away": {"enabled": 1}})
    assert status == 400 and body["error"]["field"] == "away.enabled"


async def test_convert_guest_creates_merges_and_is_idempotent(connect, runtime, base_url, business, staff_token):
    guest = await connect()
    session_id = guest.frames[0]["data"]["sessionId"]
    room = await join(guest, business, "Dana")
    staff = await connect(token=staff_token)
    path = f"/api/chat/rooms/{room['_id']}/convert-guest"
    status, body = await api(base_url, "POST", path, token=staff_token, body={"email": "nope"})
    assert status == 400 and body["error"]["field"] == "email"
    status, body = await api(base_url, "POST", path, token=staff_token, body={"email": "d@example.com", "phone": "12"})
    assert status == 400 and body["error"]["field"] == "phone"

    status, first = await api(
        base_url, "POST", path, token=staff_token, body={"email": "Dana@Example.com", "phone": "+44 20 7946 0958"}
    )
    assert status == 200 and first["contactCreated"] is True
    meta = first["room"]["metadata"]
    assert meta["isGuest"] is True and meta["customerId"] == first["contact"]["_id"] and meta["convertedAt"]
    assert meta["guestInfo"]["email"] == "dana@example.com" and meta["guestInfo"]["phone"] == "+442079460958"
    assert first["contact"]["name"] == "Dana"
    live = (await staff.wait_for("chat:room-updated", roomId=room["_id"]))["data"]
    assert live["metadata"]["customerId"] == first["contact"]["_id"]

    status, again = await api(base_url, "POST", path, token=staff_token, body={"email": "dana@example.com"})
    assert status == 200 and again["contactCreated"] is False
    assert again["contact"]["_id"] == first["contact"]["_id"]
    assert again["room"]["metadata"]["convertedAt"] == meta["convertedAt"]

    # another guest with the same email merges into the same contact
    other = await connect()
    other_room = await join(other, business, "Dana again")
    status, merged = await api(
        base_url,
        "POST",
        f"/api/chat/rooms/{other_room['_id']}/convert-guest",
        token=staff_token,
        body={"email": "DANA@example.com"},
    )
    assert status == 200 and merged["contactCreated"] is False and merged["contact"]["_id"] == first["contact"]["_id"]

    # later visits of that guest session stay linked
    later = await connect(sessionId=session_id)
    rejoined = await join(later, business, "Dana")
    assert rejoined["metadata"]["customerId"] == first["contact"]["_id"]

    # customers' rooms are not guest conversations
    customer = await connect(token=make_token("customer", "Carol"))
    croom = await join(customer, business, "Carol")
    status, body = await api(
        base_url, "POST", f"/api/chat/rooms/{croom['_id']}/convert-guest", token=staff_token, body={"email": "c@x.io"}
    )
    assert status == 400 and body["error"]["field"] == "roomId"


async def test_a_new_room_of_a_converted_guest_is_linked_to_the_contact(
    connect, runtime, base_url, business, staff_token
):
    guest = await connect()
    room = await join(guest, business, "Eli")
    _, conversion = await api(
        base_url,
        "POST",
        f"/api/chat/rooms/{room['_id']}/convert-guest",
        token=staff_token,
        body={"email": "eli@example.com"},
    )
    from sqlalchemy import update

    from chatserver.adapters.sql.models import RoomRow

    async with runtime.store.engine.begin() as conn:  # the conversation ends (archived)
        await conn.execute(update(RoomRow).where(RoomRow.id == room["_id"]).values(is_active=False))
    fresh = await join(guest, business, "Eli")
    assert fresh["_id"] != room["_id"]
    assert fresh["metadata"]["customerId"] == conversion["contact"]["_id"]
    assert fresh["metadata"]["guestInfo"]["email"] == "eli@example.com"


async def test_openapi_document_is_served(base_url):
    status, doc = await api(base_url, "GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    assert "/api/chat/rooms/{roomId}/convert-guest" in doc["paths"] and "/api/chat/analytics" in doc["paths"]
