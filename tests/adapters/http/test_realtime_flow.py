"""The seed's scenarios end to end over real WebSockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.conftest import make_token

GUEST_ID = re.compile(r"^guest_\d{13}_[0-9a-z]{8}$")


async def test_connect_without_token_registers_a_guest(connect, ws_url):
    from tests.helpers import WsClient

    client = await WsClient.connect(ws_url)
    try:
        first = await client.next()
        assert first["event"] == "guest:registered"
        data = first["data"]
        assert GUEST_ID.match(data["guestId"])
        assert len(data["sessionId"]) >= 22 and re.match(r"^[A-Za-z0-9_-]+$", data["sessionId"])
        assert data["resumed"] is False
        assert data["expiresAt"].endswith("Z")
    finally:
        client.close()


async def test_chat_flow_guest_and_staff(connect, business, staff_token):
    guest = await connect()
    joined = await guest.call("chat:join-room", {"businessId": business, "userName": "Anonymous User"})
    room = joined["room"]
    assert room["roomName"] == "Chat with Anonymous User"
    assert room["tags"] == ["anonymous"]
    assert room["metadata"]["isGuest"] is True
    assert room["metadata"]["userType"] == "guest"
    assert "sessionId" not in room["metadata"]["guestInfo"]
    assert joined["messages"] == []

    staff = await connect(token=staff_token)
    assert staff.frames[0]["event"] == "user:authenticated"
    assert staff.frames[0]["data"]["userType"] == "staff"
    await staff.call("chat:join-room", {"roomId": room["_id"]})

    sent = await guest.call("chat:send-message", {"roomId": room["_id"], "content": "  Hello, I have a question  "})
    assert sent["content"] == "Hello, I have a question"
    assert sent["seq"] == 1
    assert sent["senderType"] == "guest" and sent["isGuest"] is True and sent["senderName"] == "Anonymous User"
    pushed = await staff.wait_for("chat:new-message")
    assert pushed["data"]["_id"] == sent["_id"]
    echoed = await guest.wait_for("chat:new-message")
    assert echoed["data"]["_id"] == sent["_id"]

    reply = await staff.call("chat:send-message", {"roomId": room["_id"], "content": "Happy to help"})
    assert reply["seq"] == 2 and reply["senderType"] == "staff" and reply["isGuest"] is False
    got = await guest.wait_for("chat:new-message", seq=2)
    assert got["data"]["content"] == "Happy to help"


async def test_session_recovery_after_reconnect(connect, business):
    guest = await connect()
    session_id = guest.frames[0]["data"]["sessionId"]
    guest_id = guest.frames[0]["data"]["guestId"]
    joined = await guest.call("chat:join-room", {"businessId": business, "userName": "Returning"})
    await guest.call("chat:send-message", {"roomId": joined["room"]["_id"], "content": "first visit"})
    guest.close()

    again = await connect(sessionId=session_id)
    registered = again.frames[0]["data"]
    assert registered == {**registered, "guestId": guest_id, "sessionId": session_id, "resumed": True}
    rejoined = await again.call("chat:join-room", {"businessId": business, "userName": "Returning"})
    assert rejoined["room"]["_id"] == joined["room"]["_id"]
    assert [m["content"] for m in rejoined["messages"]] == ["first visit"]


async def test_unknown_session_id_gives_a_new_guest(connect):
    client = await connect(sessionId="not-a-session-we-issued")
    data = client.frames[0]["data"]
    assert client.frames[0]["event"] == "guest:registered"
    assert data["resumed"] is False and data["sessionId"] != "not-a-session-we-issued"


async def test_two_connections_of_one_guest_both_receive(connect, business, staff_token):
    tab1 = await connect()
    session_id = tab1.frames[0]["data"]["sessionId"]
    tab2 = await connect(sessionId=session_id)
    room = (await tab1.call("chat:join-room", {"businessId": business, "userName": "Tabs"}))["room"]
    room2 = (await tab2.call("chat:join-room", {"businessId": business, "userName": "Tabs"}))["room"]
    assert room["_id"] == room2["_id"]
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room["_id"]})
    await staff.call("chat:send-message", {"roomId": room["_id"], "content": "to both tabs"})
    await tab1.wait_for("chat:new-message", content="to both tabs")
    await tab2.wait_for("chat:new-message", content="to both tabs")
    sent = await tab1.call("chat:send-message", {"roomId": room["_id"], "content": "from tab 1"})
    await tab2.wait_for("chat:new-message", _id=sent["_id"])


async def test_customer_with_token_gets_its_own_room(connect, business):
    token = make_token("customer", "Carol")
    customer = await connect(token=token)
    assert customer.frames[0] == {
        "event": "user:authenticated",
        "data": {
            "userId": "customer-carol",
            "userType": "customer",
            "businessId": None,
            "name": "Carol",
            "protocol": "v1",
        },
    }
    joined = await customer.call("chat:join-room", {"businessId": business, "userName": "Carol"})
    meta = joined["room"]["metadata"]
    assert meta["isGuest"] is False and meta["userType"] == "customer" and meta["userId"] == "customer-carol"
    assert "guestInfo" not in meta and joined["room"]["tags"] == []
    msg = await customer.call("chat:send-message", {"roomId": joined["room"]["_id"], "content": "hi"})
    assert msg["senderType"] == "customer" and msg["isGuest"] is False


async def test_history_pages_backwards_and_forwards(connect, business):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "Pager"}))["room"]["_id"]
    for i in range(1, 8):
        await guest.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"})
    latest = await guest.call("chat:history", {"roomId": room_id, "limit": 3})
    assert [m["seq"] for m in latest["messages"]] == [5, 6, 7] and latest["hasMore"] is True
    older = await guest.call("chat:history", {"roomId": room_id, "beforeSeq": 5, "limit": 3})
    assert [m["seq"] for m in older["messages"]] == [2, 3, 4] and older["hasMore"] is True
    oldest = await guest.call("chat:history", {"roomId": room_id, "beforeSeq": 2, "limit": 3})
    assert [m["seq"] for m in oldest["messages"]] == [1] and oldest["hasMore"] is False
    after = await guest.call("chat:history", {"roomId": room_id, "afterSeq": 4, "limit": 2})
    assert [m["seq"] for m in after["messages"]] == [5, 6] and after["hasMore"] is True


async def test_join_with_after_seq_returns_only_missed_messages(connect, business):
    guest = await connect()
    session_id = guest.frames[0]["data"]["sessionId"]
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "Resumer"}))["room"]["_id"]
    for i in range(1, 6):
        await guest.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"})
    guest.close()
    again = await connect(sessionId=session_id)
    rejoined = await again.call("chat:join-room", {"businessId": business, "userName": "Resumer", "afterSeq": 3})
    assert [m["seq"] for m in rejoined["messages"]] == [4, 5]
    assert rejoined["hasMore"] is False


async def test_idempotent_send_with_client_msg_id(connect, business, staff_token):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "Retry"}))["room"]["_id"]
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room_id})
    first = await guest.call("chat:send-message", {"roomId": room_id, "content": "once", "clientMsgId": "c-1"})
    again = await guest.call("chat:send-message", {"roomId": room_id, "content": "once", "clientMsgId": "c-1"})
    assert again["_id"] == first["_id"] and again["seq"] == first["seq"] == 1
    assert first["duplicate"] is False and again["duplicate"] is True
    await staff.call("chat:send-message", {"roomId": room_id, "content": "marker"})
    await staff.wait_for("chat:new-message", content="marker")
    assert [m["content"] for m in staff.events("chat:new-message")] == ["once", "marker"]
    history = await guest.call("chat:history", {"roomId": room_id})
    assert [m["content"] for m in history["messages"]] == ["once", "marker"]
