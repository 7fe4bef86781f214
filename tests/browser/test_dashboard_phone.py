"""The dashboard on a phone (issue 18): at 390 px wide the page is no wider than the screen, the
connection state, the staff member's name and Sign out are on screen, and the chat list and the
open chat are two screens with a way back."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget

PHONE = {"width": 390, "height": 844}


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def on_screen(locator: Any) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_the_dashboard_fits_a_phone_as_two_screens(live_server, new_context, artifacts):
    business = live_server.create_business("Phone Co")
    guest = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    guest.open()
    guest.send("Can I change my order?")
    guest.expect_sent("Can I change my order?")

    dashboard = Dashboard.signed_in(
        new_context(viewport=PHONE, is_mobile=True, has_touch=True), live_server.http_url, business
    )
    page = dashboard.page
    for locator in (dashboard.connection, page.locator(".whoami"), page.get_by_role("button", name="Sign out")):
        expect(locator).to_be_visible()
        assert on_screen(locator), locator
    expect(dashboard.room("Can I change my order?")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    expect(page.locator(".conversation")).to_be_hidden()  # the list screen: no "choose a chat" beside it
    page.screenshot(path=str(artifacts / "dashboard-phone-list.png"))

    # the chat screen: the list is gone, a way back, the reply box works
    dashboard.open_room("Can I change my order?")
    expect(page.locator(".sidebar")).to_be_hidden()
    back = page.get_by_role("button", name="← All chats")
    expect(back).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    for locator in (
        dashboard.reply,
        page.get_by_role("button", name="Send"),
        page.get_by_role("button", name="Close chat"),
    ):
        assert on_screen(locator), locator
    dashboard.send("Yes, until it ships.")
    dashboard.expect_sent("Yes, until it ships.")
    expect(guest.message("Yes, until it ships.")).to_have_count(1)
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=str(artifacts / "dashboard-phone-chat.png"))

    back.click()
    expect(page.locator(".sidebar")).to_be_visible()
    expect(page.locator(".conversation")).to_be_hidden()
    for tab in ("FAQs", "Canned responses", "Analytics"):
        page.get_by_role("link", name=tab).click()
        assert on_screen(page.get_by_role("button", name="Sign out"))
    page.get_by_role("link", name="Chats").click()
    expect(dashboard.room("Yes, until it ships.")).to_be_visible()  # the row's preview is the last message


def test_a_wide_screen_still_shows_the_list_and_the_chat_side_by_side(live_server, new_context):
    business = live_server.create_business("Desk Co")
    guest = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    guest.open()
    guest.send("Hello from a desk")
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    dashboard.open_room("Hello from a desk")
    expect(dashboard.page.locator(".sidebar")).to_be_visible()
    expect(dashboard.page.get_by_role("button", name="← All chats")).to_be_hidden()
