"""The staff workflow in a real browser against the real server: a guest in the widget and a staff
member in the dashboard, each seeing what the other does — close and reopen, assignment, typing,
read receipts, the guest's email, conversion to a customer contact. What the browser shows is
checked against what the server stored (REST) where it matters."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget
from tests.browser.support import staff_token_for
from tests.rest import rest


def test_close_reopen_assign_typing_and_read_receipts_both_ways(live_server, host_pages, new_context):
    business = live_server.create_business("Workflow Co")
    widget = Widget.on_host_page(new_context(), host_pages, live_server.http_url, business, "Maria")
    widget.open()
    widget.send("Hello, is anyone there?")
    widget.expect_sent("Hello, is anyone there?")
    mine = widget.message("Hello, is anyone there?").locator(".state")
    expect(mine).to_have_text("Sent")

    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    row = dashboard.room("Maria")
    expect(row.locator(".badge.unread")).to_have_text("1")
    dashboard.open_room("Maria")
    room_id = widget.stored()["roomId"]
    token = staff_token_for(business)

    # read receipts: opening the chat reads it (the guest sees "Seen"); the guest reads the reply
    expect(mine).to_have_text("Seen")
    assert rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", token)[1]["room"]["unreadCount"] == 0
    dashboard.send("Yes! How can I help?")
    dashboard.expect_sent("Yes! How can I help?")
    expect(widget.message("Yes! How can I help?")).to_have_count(1)
    expect(dashboard.messages.locator(".msg--staff .state")).to_have_text("Seen")

    # typing, each way; sending ends it
    dashboard.reply.press_sequentially("Let me")
    expect(widget.typing).to_have_text("Alice is typing…")
    dashboard.reply.press_sequentially(" check", delay=10)
    dashboard.reply.press("Enter")
    expect(widget.typing).to_have_text("")
    widget.input.press_sequentially("My order")
    expect(dashboard.typing).to_have_text("Maria is typing…")
    widget.input.press("Enter")
    expect(dashboard.typing).to_have_text("")
    expect(dashboard.messages.locator(".msg--visitor .text")).to_have_text(["Hello, is anyone there?", "My order"])

    # close and reopen: the guest sees the status, the list follows
    header = dashboard.header
    dashboard.page.get_by_role("button", name="Close chat").click()
    expect(header.locator(".badge.closed")).to_have_text("Closed")
    expect(widget.closed_line).to_be_visible()
    expect(row.locator(".badge.closed")).to_have_text("Closed")
    assert rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", token)[1]["room"]["status"] == "closed"
    dashboard.page.get_by_role("button", name="Reopen").click()
    expect(header.locator(".badge.open")).to_have_text("Open")
    expect(widget.closed_line).to_be_hidden()

    # closed again, then the guest writes: that reopens it, live on both sides
    dashboard.page.get_by_role("button", name="Close chat").click()
    expect(widget.closed_line).to_be_visible()
    widget.send("One more thing")
    widget.expect_sent("One more thing")
    expect(widget.closed_line).to_be_hidden()
    expect(header.locator(".badge.open")).to_have_text("Open")
    expect(row.locator(".badge.open")).to_have_text("Open")
    assert rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", token)[1]["room"]["status"] == "open"

    # assign to a colleague (a staff account of the business), unassign, take it
    bob = live_server.create_staff(business, "bob@example.com", "Bob")
    dashboard.page.get_by_label("Staff id").fill(bob)
    dashboard.page.get_by_role("button", name="Assign", exact=True).click()
    expect(header.locator(".fact.assigned")).to_have_text(f"Assigned to {bob}")
    assert rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", token)[1]["room"]["assignedTo"] == bob
    dashboard.page.get_by_role("button", name="Unassign").click()
    expect(header.locator(".fact.assigned")).to_have_count(0)
    dashboard.page.get_by_label("Staff id").fill("staff-alice")
    dashboard.page.get_by_role("button", name="Assign", exact=True).click()
    expect(header.locator(".fact.assigned")).to_have_text("Assigned to you")
    dashboard.page.locator("#room-filter").select_option("mine")
    expect(dashboard.rooms).to_have_count(1)
    assert (
        rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", token)[1]["room"]["assignedTo"] == "staff-alice"
    )


def test_the_guest_email_shows_live_and_staff_convert_the_guest(live_server, host_pages, new_context, artifacts):
    business = live_server.create_business("Convert Co")
    widget = Widget.on_host_page(new_context(), host_pages, live_server.http_url, business, "Anna")
    widget.open()
    widget.send("Can you send me the invoice?")
    widget.expect_sent("Can you send me the invoice?")
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    dashboard.open_room("Anna")
    header = dashboard.header
    expect(header.locator(".badge.anonymous")).to_have_text("Anonymous")
    expect(header.locator(".fact.email")).to_have_count(0)

    # the widget's email form: chat:update-guest-info; the open dashboard shows it without a reload
    widget.host.get_by_role("button", name="Get the answer by email").click()
    widget.host.get_by_label("Email").fill("Anna@Example.com")
    widget.host.get_by_role("button", name="Save").click()
    expect(widget.host.locator(".capture .note")).to_have_text("Thanks! We will also reply to anna@example.com.")
    expect(header.locator(".fact.email")).to_have_text("Email anna@example.com")

    # convert: the form starts from the guest's email; the room links to a new customer contact
    dashboard.page.get_by_role("button", name="Convert to customer").click()
    form = dashboard.page.locator(".convert")
    expect(form.get_by_label("Email")).to_have_value("anna@example.com")
    form.get_by_label("Phone (optional)").fill("+44 20 7946 0958")
    form.get_by_role("button", name="Convert").click()
    expect(header.locator(".badge.converted")).to_have_text("Converted")
    expect(header.locator(".fact.phone")).to_have_text("Phone +442079460958")
    expect(header.locator(".fact.converted")).to_contain_text("Customer contact since")
    expect(dashboard.page.get_by_role("button", name="Convert to customer")).to_have_count(0)
    expect(dashboard.page.locator(".conversation .notice")).to_have_text("New customer contact anna@example.com.")
    expect(dashboard.room("Anna").locator(".badge.converted")).to_have_text("Converted")
    dashboard.page.screenshot(path=str(artifacts / "dashboard-converted.png"))

    room_id = widget.stored()["roomId"]
    status, body = rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", staff_token_for(business))
    metadata = body["room"]["metadata"]
    assert status == 200 and metadata["customerId"] and metadata["convertedAt"]
    assert metadata["isGuest"] is True  # the conversation's origin, for analytics
    assert metadata["guestInfo"]["email"] == "anna@example.com"
