"""FAQ automation and auto-responses, for guests exactly as for customers (seed: "What Stayed the
Same", "For Businesses: Same Automation"), over real WebSockets on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from chatserver.domain.business import FaqFields
from tests.conftest import make_token

HOURS = FaqFields("What are your opening hours?", "We are open 9 to 5.", ("hours", "open"), True)
REFUND = FaqFields("How do I get a refund?", "Within 30 days.", ("refund",), True)


def faq_body(f):
    return {"question": f.question, "answer": f.answer, "keywords": list(f.keywords), "enabled": f.enabled}


async def add_faqs(runtime, business, *faqs):
    """Through the admin service, as the dashboard does: it drops the business's cached automation."""
    return [await runtime.admin.add_faq(business, faq_body(f)) for f in faqs]


async def set_settings(runtime, business, body):
    await runtime.admin.put_settings(business, body)


async def join(client, business, name="Visitor"):
    return (await client.call("chat:join-room", {"businessId": business, "userName": name}))["room"]["_id"]


@pytest.mark.parametrize("who", ["guest", "customer"])
async def test_faq_answers_guests_and_customers_alike(connect, runtime, business, who):
    faq, _ = await add_faqs(runtime, business, HOURS, REFUND)
    visitor = await connect() if who == "guest" else await connect(token=make_token("customer", "Carol"))
    room_id = await join(visitor, business)
    sent = await visitor.call("chat:send-message", {"roomId": room_id, "content": "Hi! What are your hours?"})
    answer = (await visitor.wait_for("chat:faq-response"))["data"]
    assert answer["senderType"] == "system" and answer["faqId"] == faq.id
    assert answer["content"] == "We are open 9 to 5." and answer["seq"] == sent["seq"] + 1
    assert answer["roomId"] == room_id and answer["isGuest"] is False
    history = await visitor.call("chat:history", {"roomId": room_id})
    assert [(m["seq"], m.get("faqId")) for m in history["messages"]] == [(1, None), (2, faq.id)]


async def test_faq_answer_is_part_of_resume(connect, runtime, business):
    await add_faqs(runtime, business, REFUND)
    guest = await connect()
    session_id = guest.frames[0]["data"]["sessionId"]
    room_id = await join(guest, business)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "hello"})
    guest.close()
    again = await connect(sessionId=session_id)
    await join(again, business)
    await again.call("chat:send-message", {"roomId": room_id, "content": "refund please"})
    await again.wait_for("chat:faq-response")
    later = await connect(sessionId=session_id)
    rejoined = await later.call("chat:join-room", {"businessId": business, "afterSeq": 1})
    assert [m["senderType"] for m in rejoined["messages"]] == ["guest", "system"]
    assert rejoined["messages"][1]["faqId"]


async def test_staff_see_faq_answers_as_they_happen(connect, runtime, business, staff_token):
    await add_faqs(runtime, business, HOURS)
    guest = await connect()
    room_id = await join(guest, business)
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room_id})
    await guest.call("chat:send-message", {"roomId": room_id, "content": "opening hours?"})
    got = await staff.wait_for("chat:faq-response")
    assert got["data"]["content"] == "We are open 9 to 5."


async def test_no_match_disabled_faq_and_threshold_mean_no_reply(connect, runtime, business):
    await add_faqs(runtime, business, FaqFields("Is there a discount?", "No.", ("discount",), False))
    guest = await connect()
    room_id = await join(guest, business)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "any discount?"})
    await guest.call("chat:send-message", {"roomId": room_id, "content": "my parcel is late"})
    await add_faqs(runtime, business, FaqFields("Where is my parcel?", "Tracking link by email.", (), True))
    await set_settings(runtime, business, {"faqThreshold": 100})
    await guest.call("chat:send-message", {"roomId": room_id, "content": "where's my parcel"})
    await set_settings(runtime, business, {"faqThreshold": 60})
    sent = await guest.call("chat:send-message", {"roomId": room_id, "content": "where's my parcel"})
    answer = (await guest.wait_for("chat:faq-response"))["data"]
    assert answer["seq"] == sent["seq"] + 1 == 5
    assert guest.events("chat:faq-response") == [answer]


async def test_greeting_on_the_first_message_only(connect, runtime, business):
    await set_settings(runtime, business, {"greeting": {"enabled": True, "message": "Welcome to Acme!"}})
    guest = await connect()
    room_id = await join(guest, business)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "hello"})
    greeting = (await guest.wait_for("chat:new-message", senderType="system"))["data"]
    assert greeting["content"] == "Welcome to Acme!" and greeting["seq"] == 2
    assert greeting["senderId"] == "system:greeting" and greeting["senderName"] == "Acme"
    await guest.call("chat:send-message", {"roomId": room_id, "content": "hello again"})
    history = await guest.call("chat:history", {"roomId": room_id})
    assert [m["senderType"] for m in history["messages"]] == ["guest", "system", "guest"]


async def test_away_message_when_no_staff_is_online_once_per_room(connect, runtime, business, staff_token):
    await set_settings(runtime, business, {"away": {"enabled": True, "message": "We are away."}})
    guest = await connect()
    room_id = await join(guest, business)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "anyone there?"})
    away = (await guest.wait_for("chat:new-message", senderType="system"))["data"]
    assert away["content"] == "We are away." and away["senderId"] == "system:away"
    await guest.call("chat:send-message", {"roomId": room_id, "content": "hello?"})
    history = await guest.call("chat:history", {"roomId": room_id})
    assert [m["senderType"] for m in history["messages"]] == ["guest", "system", "guest"]

    # another guest while a staff member is connected: no away message
    staff = await connect(token=staff_token)
    assert await runtime.presence.staff_online(business)
    other = await connect()
    other_room = await join(other, business, "Other")
    await other.call("chat:send-message", {"roomId": other_room, "content": "hi"})
    assert (await other.call("chat:history", {"roomId": other_room}))["messages"][-1]["senderType"] == "guest"
    staff.close()


async def test_away_message_outside_business_hours_even_with_staff_online(connect, runtime, business, staff_token):
    await set_settings(
        runtime,
        business,
        {
            "away": {"enabled": True, "message": "Closed now, back at 9."},
            "businessHours": {"timezone": "Europe/Paris", "weekly": {"mon": [{"open": "09:00", "close": "17:00"}]}},
        },
    )
    runtime.service.automation.clock = lambda: 1767686400000  # Tuesday 2026-01-06 09:00 Paris: closed
    await connect(token=staff_token)
    guest = await connect()
    room_id = await join(guest, business)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "hello"})
    away = (await guest.wait_for("chat:new-message", senderType="system"))["data"]
    assert away["content"] == "Closed now, back at 9."

    runtime.service.automation.clock = lambda: 1767600000000  # Monday 2026-01-05 09:00 Paris: open
    other = await connect()
    other_room = await join(other, business, "Other")
    await other.call("chat:send-message", {"roomId": other_room, "content": "hello"})
    assert [m["senderType"] for m in (await other.call("chat:history", {"roomId": other_room}))["messages"]] == [
        "guest"
    ]


async def test_lead_capture_asks_guests_without_email_once(connect, runtime, business):
    await set_settings(runtime, business, {"leadCapture": {"enabled": True, "message": "Your email?"}})
    guest = await connect()
    room_id = await join(guest, business)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "hello"})
    prompt = (await guest.wait_for("chat:new-message", senderType="system"))["data"]
    assert prompt["content"] == "Your email?" and prompt["senderId"] == "system:lead-capture"
    await guest.call("chat:send-message", {"roomId": room_id, "content": "still there"})
    assert len([m for m in guest.events("chat:new-message") if m["senderType"] == "system"]) == 1

    with_email = await connect()
    joined = await with_email.call(
        "chat:join-room", {"businessId": business, "userName": "Eve", "email": "eve@example.com"}
    )
    await with_email.call("chat:send-message", {"roomId": joined["room"]["_id"], "content": "hello"})
    customer = await connect(token=make_token("customer", "Carol"))
    customer_room = await join(customer, business)
    await customer.call("chat:send-message", {"roomId": customer_room, "content": "hello"})
    for client, rid in ((with_email, joined["room"]["_id"]), (customer, customer_room)):
        kinds = [m["senderType"] for m in (await client.call("chat:history", {"roomId": rid}))["messages"]]
        assert kinds == ["guest"] or kinds == ["customer"]


async def test_all_automation_together_in_order_and_no_loops(connect, runtime, business):
    await add_faqs(runtime, business, HOURS)
    await set_settings(
        runtime,
        business,
        {
            "greeting": {"enabled": True, "message": "G"},
            "away": {"enabled": True, "message": "A"},
            "leadCapture": {"enabled": True, "message": "L"},
        },
    )
    guest = await connect()
    room_id = await join(guest, business)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "what are your opening hours"})
    await guest.wait_for("chat:faq-response")
    for _ in range(3):
        await guest.wait_for("chat:new-message", senderType="system")
    await guest.call("chat:send-message", {"roomId": room_id, "content": "thanks"})
    messages = (await guest.call("chat:history", {"roomId": room_id}))["messages"]
    assert [(m["seq"], m["content"]) for m in messages] == [
        (1, "what are your opening hours"),
        (2, "G"),
        (3, "We are open 9 to 5."),
        (4, "A"),
        (5, "L"),
        (6, "thanks"),
    ]


async def test_a_retried_send_does_not_answer_twice(connect, runtime, business):
    await add_faqs(runtime, business, REFUND)
    guest = await connect()
    room_id = await join(guest, business)
    frame = {"roomId": room_id, "content": "refund?", "clientMsgId": "retry-1"}
    await guest.call("chat:send-message", frame)
    again = await guest.call("chat:send-message", frame)
    assert again["duplicate"] is True
    messages = (await guest.call("chat:history", {"roomId": room_id}))["messages"]
    assert [m["senderType"] for m in messages] == ["guest", "system"]
