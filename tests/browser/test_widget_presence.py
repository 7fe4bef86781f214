"""The widget says "Online" only while a staff member of the business is connected (issue 18),
otherwise its away text; it asks again when it is opened."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget

AWAY = "We reply as soon as we can"


def test_online_only_while_staff_are_there(live_server, new_context):
    business = live_server.create_business("Presence Co")
    widget = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    widget.open()
    expect(widget.status).to_have_text(AWAY)
    expect(widget.status).to_have_attribute("data-state", "away")

    staff_context = new_context(viewport={"width": 1280, "height": 760})
    dashboard = Dashboard.signed_in(staff_context, live_server.http_url, business)
    widget.host.get_by_role("button", name="Close chat").first.click()
    widget.open()  # opening asks again
    expect(widget.status).to_have_text("Online")

    dashboard.page.close()  # the staff member leaves
    widget.host.get_by_role("button", name="Close chat").first.click()
    expect(widget.panel).to_be_hidden()

    def reopened_away() -> bool:
        widget.open()
        away = widget.status.inner_text() == AWAY
        if not away:
            widget.host.get_by_role("button", name="Close chat").first.click()
        return away

    for _ in range(50):
        if reopened_away():
            break
        widget.page.wait_for_timeout(100)
    expect(widget.status).to_have_text(AWAY)
