"""A FAQ or settings change made through one instance applies to the very next visitor message
on another: the business's configuration version, read with each message, tells every
instance's automation cache that its copy is out of date (no expiry to wait for)."""

from __future__ import annotations

from tests.conftest import make_token
from tests.helpers import WsClient
from tests.rest import api

SHIPPING = {"question": "Do you ship to Canada?", "answer": "Yes, in 5 to 7 days.", "keywords": ["canada"]}


async def say(guest: WsClient, room_id: str, content: str) -> dict[str, object]:
    """Send, then the room's last message: the ack comes after automation has posted."""
    await guest.call("chat:send-message", {"roomId": room_id, "content": content})
    page = await guest.call("chat:history", {"roomId": room_id})
    last: dict[str, object] = page["messages"][-1]
    return last


async def test_a_change_through_a_applies_to_the_next_message_on_b(start, cluster_business):
    a, b = await start("a", "b")
    token = make_token("staff", "Alice", cluster_business)
    guest = await WsClient.connect(b.ws_url)
    try:
        joined = await guest.call("chat:join-room", {"businessId": cluster_business, "userName": "Visitor"})
        room_id = joined["room"]["_id"]
        assert (await say(guest, room_id, "canada?"))["senderType"] == "guest"  # b has cached no FAQ

        status, faq = await api(
            a.http_url, "POST", f"/api/businesses/{cluster_business}/faqs", token=token, body=SHIPPING
        )
        assert status == 201
        answer = await say(guest, room_id, "do you ship to canada")
        assert answer["faqId"] == faq["_id"] and answer["content"] == "Yes, in 5 to 7 days."

        body = {"leadCapture": {"enabled": True, "message": "Your email?"}}
        status, _ = await api(a.http_url, "PUT", f"/api/businesses/{cluster_business}/settings", token=token, body=body)
        assert status == 200
        prompt = await say(guest, room_id, "still there?")
        assert prompt["senderId"] == "system:lead-capture" and prompt["content"] == "Your email?"
    finally:
        guest.close()
