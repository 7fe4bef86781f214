"""The automation cache seen from outside: FAQ and settings changes apply to the very next
visitor message, made through this instance's REST API or written by someone else (another
instance, the CLI), and messages of an unchanged configuration read nothing again."""

from __future__ import annotations

from chatserver.domain.business import FaqFields
from chatserver.domain.clock import now_ms
from tests.rest import api

SHIPPING = {"question": "Do you ship to Canada?", "answer": "Yes, in 5 to 7 days.", "keywords": ["canada"]}


async def join(client, business):
    return (await client.call("chat:join-room", {"businessId": business, "userName": "Visitor"}))["room"]["_id"]


async def say(client, room_id, content):
    """Send, then the room's last message: the ack comes after automation has posted."""
    await client.call("chat:send-message", {"roomId": room_id, "content": content})
    return (await client.call("chat:history", {"roomId": room_id}))["messages"][-1]


async def test_faq_changes_through_rest_apply_to_the_next_message(connect, base_url, business, staff_token):
    faqs = f"/api/businesses/{business}/faqs"
    guest = await connect()
    room_id = await join(guest, business)
    assert (await say(guest, room_id, "canada?"))["senderType"] == "guest"  # the cache now holds no FAQ

    status, faq = await api(base_url, "POST", faqs, token=staff_token, body=SHIPPING)
    assert status == 201
    answer = await say(guest, room_id, "do you ship to canada")
    assert answer["faqId"] == faq["_id"] and answer["content"] == "Yes, in 5 to 7 days."

    status, _ = await api(base_url, "PATCH", f"{faqs}/{faq['_id']}", token=staff_token, body={"enabled": False})
    assert status == 200
    assert (await say(guest, room_id, "canada, please"))["senderType"] == "guest"

    await api(base_url, "PATCH", f"{faqs}/{faq['_id']}", token=staff_token, body={"enabled": True})
    assert (await say(guest, room_id, "canada shipping?"))["faqId"] == faq["_id"]
    status, _ = await api(base_url, "DELETE", f"{faqs}/{faq['_id']}", token=staff_token)
    assert status == 204
    assert (await say(guest, room_id, "canada at last?"))["senderType"] == "guest"


async def test_a_settings_change_through_rest_applies_to_the_next_message(connect, base_url, business, staff_token):
    guest = await connect()
    room_id = await join(guest, business)
    assert (await say(guest, room_id, "hello"))["senderType"] == "guest"
    body = {"leadCapture": {"enabled": True, "message": "Your email?"}}
    status, _ = await api(base_url, "PUT", f"/api/businesses/{business}/settings", token=staff_token, body=body)
    assert status == 200
    prompt = await say(guest, room_id, "still there?")
    assert prompt["senderId"] == "system:lead-capture" and prompt["content"] == "Your email?"


async def test_a_write_this_instance_did_not_make_applies_to_the_next_message(runtime, connect, business):
    """A FAQ stored without this instance's API (as another instance or the CLI would), after
    the cache was filled."""
    guest = await connect()
    room_id = await join(guest, business)
    await say(guest, room_id, "hello")
    await say(guest, room_id, "hello again")
    assert runtime.automation_cache.loads == 1  # the second message read no configuration
    await runtime.store.create_faq(business, FaqFields("Ship to Canada?", "Yes.", ("canada",), True), now_ms())
    answer = await say(guest, room_id, "canada?")
    assert answer["senderId"] == "system:faq" and answer["content"] == "Yes."
    assert runtime.automation_cache.loads == 2
