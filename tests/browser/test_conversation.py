"""A guest on /demo and a staff member on /dashboard/ talk, in a real browser, through a real server."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget

XSS = "<img src=x onerror=alert(1)>"


def test_guest_and_staff_converse_and_the_guest_keeps_the_conversation_across_a_reload(
    live_server, new_context, artifacts
):
    business = live_server.create_business("Northwind")
    maria = live_server.create_guest_room(business, "Maria")
    live_server.append(maria, "Is the Ridge 2 tent in stock in green?", sender="Maria", sender_type="guest")
    live_server.append(maria, "It is! It ships tomorrow.", sender="Bob")
    tom = live_server.create_guest_room(business, "Tom")
    live_server.append(tom, "My order #1042 has not arrived yet.", sender="Tom", sender_type="guest")
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    expect(dashboard.rooms).to_have_count(2)

    widget = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    widget.open()
    widget.send("Hello, do you ship to Norway?")
    widget.expect_sent("Hello, do you ship to Norway?")
    expect(widget.host.locator(".guest-badge")).to_have_text("Guest")

    # the dashboard, open all along, shows the new guest's chat without a reload
    room = dashboard.room("do you ship to Norway?")
    expect(room).to_have_count(1)
    expect(room.locator(".badge.anonymous")).to_have_text("Anonymous")
    expect(room.locator(".badge.unread")).to_have_text("1")
    dashboard.open_room("do you ship to Norway?")
    expect(dashboard.messages.locator(".msg--visitor .text")).to_have_text(["Hello, do you ship to Norway?"])

    dashboard.send("Yes, in 3-5 days.")
    dashboard.expect_sent("Yes, in 3-5 days.")
    expect(widget.message("Yes, in 3-5 days.")).to_have_class("msg msg--staff")
    widget.send("Great, thanks!")
    expect(dashboard.messages.locator(".msg--visitor .text").filter(has_text="Great, thanks!")).to_have_count(1)
    expect(dashboard.room("Great, thanks!")).to_have_count(1)  # the list preview follows

    conversation = ["Hello, do you ship to Norway?", "Yes, in 3-5 days.", "Great, thanks!"]
    widget.expect_sent("Great, thanks!")
    assert widget.texts() == conversation
    assert widget.seqs() == [1, 2, 3]
    widget.page.screenshot(path=str(artifacts / "widget.png"))
    dashboard.page.screenshot(path=str(artifacts / "dashboard.png"))

    before = widget.stored()
    widget.page.reload()
    widget = Widget(widget.page)
    widget.open()
    expect(widget.log.locator(".msg .text")).to_have_text(conversation)
    assert widget.seqs() == [1, 2, 3]
    after = widget.stored()
    assert after["guestId"] == before["guestId"] and after["sessionId"] == before["sessionId"]
    assert after["roomId"] == before["roomId"]
    widget.expect_online()

    # the reloaded page is live too
    dashboard.send("Anything else?")
    expect(widget.message("Anything else?")).to_have_count(1)
    assert widget.seqs() == [1, 2, 3, 4]


def test_the_xss_payload_stays_text_on_both_sides(live_server, new_context):
    business = live_server.create_business("Initech")
    widget = Widget.on_demo(new_context(), live_server.http_url, business)
    dashboard = Dashboard.signed_in(new_context(), live_server.http_url, business)
    widget.open()
    widget.send(XSS)
    widget.expect_sent(XSS)

    dashboard.page.get_by_role("button", name="Refresh the list").click()
    dashboard.open_room("onerror")
    expect(dashboard.messages.locator(".msg--visitor .text")).to_have_text([XSS])
    expect(dashboard.room("onerror").locator(".preview")).to_have_text(XSS)
    dashboard.send(f"<script>alert(2)</script>{XSS}")
    dashboard.expect_sent("<script>alert(2)</script>")
    expect(widget.message("<script>alert(2)</script>")).to_have_count(1)

    for page, scope in ((widget.page, widget.log), (dashboard.page, dashboard.page.locator("main"))):
        expect(scope.locator("img")).to_have_count(0)
        expect(scope.locator("script")).to_have_count(0)
        assert page.evaluate("() => window.__pwned === undefined")
    # (an alert would have failed the test through new_context's dialog watch)


def test_the_dashboard_loads_older_history_when_scrolled_to_the_top(live_server, new_context, artifacts):
    business = live_server.create_business("Hooli")
    room = live_server.create_guest_room(business, "Long talker")
    total = 75
    live_server.append(room, *(f"message number {n}" for n in range(1, total + 1)))
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    dashboard.open_room("Long talker")
    expect(dashboard.messages.locator(".msg").last).to_contain_text(f"message number {total}")
    first_page = dashboard.seqs()
    assert first_page[-1] == total and first_page[0] > 1, first_page

    for _ in range(10):  # each scroll to the top loads one older page
        if dashboard.seqs()[0] == 1:
            break
        count = len(dashboard.seqs())
        dashboard.messages.evaluate("el => el.scrollTop = 0")
        expect(dashboard.messages.locator(".msg[data-seq]")).not_to_have_count(count)
    expect(dashboard.messages.locator(".history-edge")).to_have_text("Start of the conversation")
    assert dashboard.seqs() == list(range(1, total + 1))
    dashboard.page.screenshot(path=str(artifacts / "dashboard-history.png"))
