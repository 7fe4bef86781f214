"""The staff side: business notifications, typing, read receipts, close/reopen, assignment and
live visitor details (seed: "Business Dashboard Updates", step 7 "Business receives notification")."""

from __future__ import annotations

import asyncio

from tests.conftest import make_token


async def join(client, business, name="Visitor", **extra):
    return (await client.call("chat:join-room", {"businessId": business, "userName": name, **extra}))["room"]


async def test_staff_are_notified_of_new_rooms_and_messages(connect, business, other_business, staff_token):
    staff = await connect(token=staff_token)
    outsider = await connect(token=make_token("staff", "Olga", other_business))
    guest = await connect()
    room = await join(guest, business, "Anonymous User")
    created = (await staff.wait_for("chat:room-created"))["data"]
    assert created["_id"] == room["_id"] and created["metadata"]["isGuest"] is True
    assert created["status"] == "open" and created["unreadCount"] == 0

    await guest.call("chat:send-message", {"roomId": room["_id"], "content": "Hello, I have a question"})
    updated = (await staff.wait_for("chat:room-updated", roomId=room["_id"]))["data"]
    assert updated["lastMessage"] == "Hello, I have a question" and updated["lastMessageAt"]
    assert updated["unreadCount"] == 1 and updated["status"] == "open" and updated["lastSeq"] == 1
    await guest.call("chat:send-message", {"roomId": room["_id"], "content": "second"})
    assert (await staff.wait_for("chat:room-updated", roomId=room["_id"]))["data"]["unreadCount"] == 2
    await asyncio.sleep(0.05)
    assert outsider.events("chat:room-created") == [] and outsider.events("chat:room-updated") == []


async def test_read_receipts_and_unread_counts_per_side(connect, business, staff_token):
    guest = await connect()
    room_id = (await join(guest, business))["_id"]
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room_id})
    for text in ("one", "two", "three"):
        await guest.call("chat:send-message", {"roomId": room_id, "content": text})
    await staff.call("chat:send-message", {"roomId": room_id, "content": "reply"})

    read = await staff.call("chat:read", {"roomId": room_id, "seq": 2})
    assert read == {"roomId": room_id, "seq": 2, "unreadCount": 1}
    receipt = (await guest.wait_for("chat:read", side="staff"))["data"]
    assert receipt["seq"] == 2 and receipt["userType"] == "staff"
    assert (await staff.wait_for("chat:room-updated", unreadCount=1))["data"]["roomId"] == room_id

    assert (await staff.call("chat:read", {"roomId": room_id, "seq": 1}))["seq"] == 2  # never backwards
    assert (await staff.call("chat:read", {"roomId": room_id, "seq": 999}))["seq"] == 4  # never past the head
    visitor = await guest.call("chat:read", {"roomId": room_id, "seq": 4})
    assert visitor == {"roomId": room_id, "seq": 4, "unreadCount": 0}
    assert (await staff.wait_for("chat:read", side="visitor"))["data"]["seq"] == 4
    room = (await guest.call("chat:join-room", {"roomId": room_id}))["room"]
    assert room["readSeq"] == {"staff": 4, "visitor": 4} and room["unreadCount"] == 0


async def test_typing_is_relayed_throttled_and_not_stored(connect, runtime, business, staff_token):
    guest = await connect()
    room_id = (await join(guest, business))["_id"]
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room_id})
    now = [1_000_000]
    runtime.gateway.workflow.clock = lambda: now[0]  # the typing throttle's clock
    assert (await guest.call("chat:typing", {"roomId": room_id, "isTyping": True}))["relayed"] is True
    typing = (await staff.wait_for("chat:typing"))["data"]
    assert typing == {**typing, "roomId": room_id, "isTyping": True, "userType": "guest"}
    now[0] += 500
    assert (await guest.call("chat:typing", {"roomId": room_id, "isTyping": True}))["relayed"] is False
    assert (await guest.call("chat:typing", {"roomId": room_id, "isTyping": False}))["relayed"] is True
    await staff.wait_for("chat:typing", isTyping=False)
    assert (await guest.call("chat:typing", {"roomId": room_id, "isTyping": True}))["relayed"] is True
    now[0] += 2500
    assert (await guest.call("chat:typing", {"roomId": room_id, "isTyping": True}))["relayed"] is True
    assert (await guest.call("chat:history", {"roomId": room_id}))["messages"] == []
    assert len(staff.events("chat:typing")) == 4


async def test_close_reopen_and_a_guest_writing_reopens(connect, business, staff_token):
    guest = await connect()
    session_id = guest.frames[0]["data"]["sessionId"]
    room_id = (await join(guest, business))["_id"]
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room_id})

    closed = (await staff.call("chat:close-room", {"roomId": room_id}))["room"]
    assert closed["status"] == "closed" and closed["closedAt"] and closed["isActive"] is True
    status = (await guest.wait_for("chat:room-status"))["data"]
    assert status["status"] == "closed" and status["by"]["userType"] == "staff"
    assert (await staff.wait_for("chat:room-updated", status="closed"))["data"]["roomId"] == room_id

    # coming back finds the same (closed) room, never a second active one
    again = await connect(sessionId=session_id)
    assert (await join(again, business))["_id"] == room_id
    await again.call("chat:send-message", {"roomId": room_id, "content": "one more question"})
    assert (await again.wait_for("chat:room-status", status="open"))["data"]["by"]["userType"] == "guest"
    assert (await staff.wait_for("chat:room-updated", status="open"))["data"]["roomId"] == room_id

    await staff.call("chat:close-room", {"roomId": room_id})
    reopened = (await staff.call("chat:reopen-room", {"roomId": room_id}))["room"]
    assert reopened["status"] == "open" and reopened["closedAt"] is None
    refused = await guest.request("chat:close-room", {"roomId": room_id})
    assert refused["error"]["code"] == "forbidden"


async def test_assignment_is_seen_by_every_staff_connection(connect, business, staff_token):
    guest = await connect()
    room_id = (await join(guest, business))["_id"]
    staff = await connect(token=staff_token)
    colleague = await connect(token=make_token("staff", "Bob", business))
    room = (await staff.call("chat:assign", {"roomId": room_id, "staffId": "staff-bob"}))["room"]
    assert room["assignedTo"] == "staff-bob"
    assert (await colleague.wait_for("chat:room-updated", assignedTo="staff-bob"))["data"]["roomId"] == room_id
    assert (await staff.call("chat:assign", {"roomId": room_id, "staffId": None}))["room"]["assignedTo"] is None
    bad = await staff.request("chat:assign", {"roomId": room_id})
    assert bad["error"]["code"] == "invalid_payload" and bad["error"]["field"] == "staffId"


async def test_guest_info_update_is_validated_and_seen_live(connect, business, staff_token):
    guest = await connect()
    room_id = (await join(guest, business))["_id"]
    staff = await connect(token=staff_token)
    for payload, field in (({"email": "not-an-email"}, "email"), ({"phone": "call me"}, "phone"), ({}, "email")):
        refused = await guest.request("chat:update-guest-info", payload)
        assert refused["error"]["code"] == "invalid_payload" and refused["error"]["field"] == field
    updated = await guest.call(
        "chat:update-guest-info", {"email": "Jane.Doe@Example.COM", "phone": "+33 6 12-34-56-78", "userName": "Jane"}
    )
    info = updated["rooms"][0]["metadata"]["guestInfo"]
    assert info["email"] == "jane.doe@example.com" and info["phone"] == "+33612345678"
    live = (await staff.wait_for("chat:room-updated", roomId=room_id))["data"]
    assert live["metadata"]["guestInfo"]["email"] == "jane.doe@example.com"
    assert live["metadata"]["userName"] == "Jane" and live["roomName"] == "Chat with Jane"
    refused = await staff.request("chat:update-guest-info", {"email": "a@b.co"})
    assert refused["error"]["code"] == "forbidden"


async def test_customer_can_update_its_details_too(connect, business, staff_token):
    customer = await connect(token=make_token("customer", "Carol"))
    room_id = (await join(customer, business))["_id"]
    staff = await connect(token=staff_token)
    await customer.call("chat:update-guest-info", {"phone": "+14155550100"})
    live = (await staff.wait_for("chat:room-updated", roomId=room_id))["data"]
    assert live["metadata"]["customerInfo"] == {"email": None, "phone": "+14155550100"}
