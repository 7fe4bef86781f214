"""Controls for features a server may not have yet (typing, read receipts, close/reopen, assign,
guest email, convert-guest, FAQs, analytics) light up when the server answers for them.

The real server of this branch does not know these events, so Playwright stands in for one that
does: a WebSocket route forwards everything to the real server except the optional events, which
it answers as protocol.md says such a server would (a probe with a payload the schema refuses
gets ``invalid_payload``, a request an ack) and lets the test push their events; REST routes
answer the optional endpoints. What is checked is the browser side of that contract.
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget
from tests.browser.support import staff_token_for

OPTIONAL_EVENTS = {
    "chat:typing",
    "chat:read",
    "chat:close-room",
    "chat:reopen-room",
    "chat:assign",
    "chat:update-guest-info",
}


class FeatureServer:
    """A WebSocket route in front of the real server that knows the optional events."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []  # optional-event frames the page sent (probes excluded)
        self.sockets: list[Any] = []

    def __call__(self, ws: Any) -> None:
        server = ws.connect_to_server()
        self.sockets.append(ws)

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("event") not in OPTIONAL_EVENTS:
                server.send(message)
                return
            data = frame.get("data") or {}
            probe = not data or data.get("email") == 0
            if not probe:
                self.sent.append(frame)
            if "ack" in frame:
                error = {"code": "invalid_payload", "message": "roomId is required", "field": "roomId"}
                reply = {"event": "ack", "ack": frame["ack"], **({"error": error} if probe else {"data": {}})}
                ws.send(json.dumps(reply))

        ws.on_message(from_page)
        server.on_message(lambda message: ws.send(message))

    def push(self, event: str, data: dict[str, Any]) -> None:
        for ws in self.sockets:
            ws.send(json.dumps({"event": event, "data": data}))

    def frames(self, event: str) -> list[dict[str, Any]]:
        return [frame["data"] for frame in self.sent if frame["event"] == event]

    def expect_frame(self, page: Any, event: str, data: dict[str, Any]) -> None:
        """Wait until the page has sent ``event`` with ``data`` (frames arrive while Playwright runs)."""
        for _ in range(400):
            if data in self.frames(event):
                return
            page.wait_for_timeout(50)
        raise AssertionError(f"{event} {data} never sent; sent: {self.sent}")


def json_route(handler: Any) -> Any:
    """A Playwright route answering with ``handler(request) -> (status, body)`` as JSON."""

    def route(route: Any) -> None:
        status, body = handler(route.request)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    return route


def test_dashboard_controls_light_up_when_the_server_has_the_features(live_server, new_context, artifacts):
    business = live_server.create_business("Feature Co")
    room_id = live_server.create_guest_room(business, "Maria")
    live_server.append(room_id, "Can I change my order?", sender="Maria", sender_type="guest")
    live_server.append(room_id, "Sure, which item?", sender="Alice")  # sent as staff-alice: our staff member
    features = FeatureServer()
    posted: dict[str, Any] = {}

    def faqs(request: Any) -> tuple[int, Any]:
        if request.method == "POST":
            posted["faq"] = request.post_data_json
            return 201, {"_id": "faq2", **request.post_data_json}
        faq = {
            "_id": "faq1",
            "question": "Do you ship abroad?",
            "answer": "Yes.",
            "keywords": ["ship"],
            "isActive": True,
        }
        return 200, {"faqs": [faq, *([{"_id": "faq2", **posted["faq"]}] if "faq" in posted else [])]}

    def convert(request: Any) -> tuple[int, Any]:
        posted["convert"] = request.post_data_json
        metadata = {
            "userType": "customer",
            "userName": "Maria",
            "isGuest": False,
            "guestInfo": {"guestId": "g", "email": request.post_data_json["email"], "phone": None},
        }
        return 200, {"room": {"_id": room_id, "businessId": business, "metadata": metadata, "isActive": True}}

    def analytics(request: Any) -> tuple[int, Any]:
        series = [
            {"date": request.url.split("from=")[1][:10], "conversations": 4, "conversions": 1, "conversionRate": 0.25}
        ]
        return 200, {"totals": {"conversations": 4, "guestConversations": 4, "conversions": 1}, "series": series}

    context = new_context(viewport={"width": 1280, "height": 760})
    page = context.new_page()
    page.route_web_socket(re.compile(r"/realtime"), features)
    page.route(re.compile(r"/api/chat/faqs"), json_route(faqs))
    page.route(re.compile(r"/convert-guest$"), json_route(convert))
    page.route(re.compile(r"/api/chat/analytics"), json_route(analytics))
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_label("Staff token").fill(staff_token_for(business))
    page.get_by_role("button", name="Use this token").click()
    dashboard = Dashboard(page)
    dashboard.open_room("Maria")
    header = page.locator(".conv-header")

    # read receipts: opening the chat reads it up to its last message
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
    features.expect_frame(page, "chat:read", {"roomId": room_id, "seq": 2})

    page.get_by_role("button", name="Close chat").click()
    expect(header.locator(".badge.closed")).to_have_text("Closed")
    features.expect_frame(page, "chat:close-room", {"roomId": room_id})
    features.push(
        "chat:room-updated",
        {
            "roomId": room_id,
            "lastMessage": "Sure, which item?",
            "unreadCount": 0,
            "status": "active",
            "lastMessageAt": "2026-01-05T10:30:05.120Z",
        },
    )
    expect(header.locator(".badge.open")).to_have_text("Open")

    page.get_by_label("Staff id").fill("staff-bob")
    page.get_by_role("button", name="Assign").click()
    expect(header).to_contain_text("Assigned to staff-bob")
    features.expect_frame(page, "chat:assign", {"roomId": room_id, "staffId": "staff-bob"})

    dashboard.reply.press_sequentially("Let me check")
    features.expect_frame(page, "chat:typing", {"roomId": room_id, "isTyping": True})
    features.push("chat:typing", {"roomId": room_id, "isTyping": True, "userType": "guest", "userName": "Maria"})
    expect(page.locator(".typing")).to_have_text("Maria is typing…")
    features.push("chat:read", {"roomId": room_id, "seq": 2, "userType": "guest"})
    expect(dashboard.messages.locator(".msg--staff .state")).to_have_text("Seen")

    page.get_by_role("button", name="Convert to customer").click()
    page.locator(".convert").get_by_label("Email").fill("maria@example.com")
    page.locator(".convert").get_by_role("button", name="Convert").click()
    expect(header.locator(".badge.customer")).to_have_text("Customer")
    assert posted["convert"] == {"email": "maria@example.com"}

    page.get_by_role("link", name="FAQs").click()
    expect(page.locator("#faqs tbody")).to_contain_text("Do you ship abroad?")
    form = page.locator(".faq-form")
    form.get_by_role("textbox", name="Question", exact=True).fill("Can I return an item?")
    form.get_by_role("textbox", name="Answer", exact=True).fill("Within 30 days.")
    form.get_by_role("textbox", name="Keywords (comma-separated)").fill("return, refund")
    page.get_by_role("button", name="Add FAQ").click()
    expect(page.locator("#faqs tbody")).to_contain_text("Can I return an item?")
    page.screenshot(path=str(artifacts / "dashboard-faqs.png"))
    assert posted["faq"] == {
        "businessId": business,
        "question": "Can I return an item?",
        "answer": "Within 30 days.",
        "keywords": ["return", "refund"],
        "isActive": True,
    }

    page.get_by_role("link", name="Analytics").click()
    analytics_view = page.locator("#analytics")
    expect(analytics_view.get_by_role("status")).to_have_text("Source: the server's analytics.")
    expect(analytics_view.locator(".stat .value")).to_have_text(["4", "4", "1", "25 %"])
    expect(analytics_view.locator(".chart svg rect.bar")).to_have_count(14)
    page.screenshot(path=str(artifacts / "dashboard-analytics.png"))


def test_widget_features_light_up_when_the_server_has_them(live_server, new_context):
    business = live_server.create_business("Feature Shop")
    features = FeatureServer()
    page = new_context().new_page()
    page.route_web_socket(re.compile(r"/realtime"), features)
    page.goto(f"{live_server.url}/demo?businessId={business}")
    widget = Widget(page)
    widget.open()
    widget.send("Hello")
    widget.expect_sent("Hello")
    room_id = widget.stored()["roomId"]

    widget.input.press_sequentially("more")
    features.expect_frame(page, "chat:typing", {"roomId": room_id, "isTyping": True})
    features.push("chat:typing", {"roomId": room_id, "isTyping": True, "userType": "staff", "userName": "Alice"})
    expect(widget.host.locator(".typing")).to_have_text("Alice is typing…")
    features.push("chat:read", {"roomId": room_id, "seq": 1, "userType": "staff", "userId": "staff-alice"})
    expect(widget.message("Hello").locator(".state")).to_have_text("Seen")

    widget.host.get_by_role("button", name="Get the answer by email").click()
    widget.host.get_by_label("Email").fill("visitor@example.com")
    widget.host.get_by_role("button", name="Save").click()
    expect(widget.host.locator(".capture .note")).to_have_text("Thanks! We will also reply to visitor@example.com.")
    features.expect_frame(page, "chat:update-guest-info", {"email": "visitor@example.com"})
