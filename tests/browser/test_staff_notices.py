"""Staff notice chats they are not looking at (issue 18): the unread total in the tab's title and
on its icon, and — once alerts are turned on, which asks for the notification permission — a
desktop notification for a new conversation and for a visitor's message in a chat not on
screen, none for the chat that is open; the choice survives a reload."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget

BASE_TITLE = "Support dashboard — chatserver"

# every Notification the page creates is also recorded, to be read by the test
RECORD_NOTIFICATIONS = """
(() => {
  window.__notes = [];
  const Real = window.Notification;
  if (!Real) return;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notes.push({ title, body: (options || {}).body, tag: (options || {}).tag });
    }
  }
  window.Notification = Recorded;
})();
"""


def notes(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.__notes"))


def recorded_dashboard(live_server: Any, new_context: Any, business: str) -> Dashboard:
    """A signed-in dashboard allowed to notify, whose notifications the test can read."""
    context = new_context(viewport={"width": 1280, "height": 760})
    context.grant_permissions(["notifications"], origin=live_server.http_url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    return Dashboard.signed_in(context, live_server.http_url, business)


def test_unread_title_badge_and_notifications_for_chats_not_on_screen(live_server, new_context, artifacts):
    business = live_server.create_business("Notice Co")
    dashboard = recorded_dashboard(live_server, new_context, business)
    page = dashboard.page
    alerts = page.get_by_role("button", name="Alerts off")
    expect(page).to_have_title(BASE_TITLE)
    alerts.click()
    expect(page.get_by_role("button", name="Alerts on")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("Notification.permission") == "granted"

    # a guest starts a chat: a new conversation, then its message, unread in the title and icon
    first = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    first.open()
    first.send("Is the blue tent in stock?")
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    expect(page.locator('link[rel="icon"]')).to_have_attribute("data-unread", "1")
    assert page.locator('link[rel="icon"]').get_attribute("href").startswith("data:image/png")
    page.wait_for_function("window.__notes.length >= 1")
    assert notes(page)[0]["title"].startswith("New conversation with")

    # staff open it: read, so the title is plain again; the guest's next message there does not alert
    dashboard.open_room("Is the blue tent in stock?")
    expect(page).to_have_title(BASE_TITLE)
    count = len(notes(page))
    first.send("The 2-person one.")
    expect(dashboard.messages.locator(".msg .text").filter(has_text="The 2-person one.")).to_have_count(1)
    expect(page).to_have_title(BASE_TITLE)
    assert len(notes(page)) == count

    # another guest writes while the first chat is open: a notification names them, and the title counts
    second = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    second.open()
    second.send("Do you ship to Norway?")
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    second.send("Anyone there?")
    expect(page).to_have_title(f"(2) {BASE_TITLE}")
    page.wait_for_function("window.__notes.some(n => n.body === 'Anyone there?')")
    titles = [note["title"] for note in notes(page)[count:]]
    assert any(title.startswith("New message from") for title in titles), titles
    page.screenshot(path=str(artifacts / "staff-notices.png"))

    # the choice is remembered across a reload
    page.reload()
    expect(dashboard.connection).to_have_text("Online")
    expect(page.get_by_role("button", name="Alerts on")).to_have_attribute("aria-pressed", "true")


def test_alerts_stay_off_until_turned_on(live_server, new_context):
    business = live_server.create_business("Quiet Co")
    dashboard = recorded_dashboard(live_server, new_context, business)
    page = dashboard.page
    guest = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    guest.open()
    guest.send("Hello?")
    expect(page).to_have_title(f"(1) {BASE_TITLE}")  # the title counts whatever the setting
    expect(page.get_by_role("button", name="Alerts off")).to_have_attribute("aria-pressed", "false")
    assert notes(page) == []
