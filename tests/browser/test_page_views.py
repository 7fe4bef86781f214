"""The visitor's page in a real browser (issue 17): the widget on the demo page reports where the
guest is, a single-page navigation (``history.pushState`` and a new title) reaches the dashboard's
conversation header live, and ``data-track-pages="false"`` reports nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget
from tests.browser.support import staff_token_for
from tests.rest import rest


def test_the_dashboard_header_follows_the_visitors_page(live_server, new_context, artifacts):
    business = live_server.create_business("Northwind")
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    widget = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    widget.open()
    widget.send("Which tent is best for two?")
    widget.expect_sent("Which tent is best for two?")

    dashboard.open_room("Which tent is best for two?")
    current = dashboard.header.locator(".current-page a")
    expect(current).to_have_text("Northwind Outfitters — chatserver demo")
    expect(current).to_have_attribute("href", f"{live_server.http_url}/demo")  # no query string
    expect(current).to_have_attribute("target", "_blank")
    expect(current).to_have_attribute("rel", "noopener noreferrer")

    widget.page.evaluate("() => { history.pushState({}, '', '/pricing'); document.title = 'Pricing — Northwind'; }")
    expect(current).to_have_text("Pricing — Northwind")
    expect(current).to_have_attribute("href", f"{live_server.http_url}/pricing")

    recent = dashboard.header.locator(".recent-pages")
    recent.locator("summary").click()
    expect(recent.locator("li a")).to_have_text(["Pricing — Northwind", "Northwind Outfitters — chatserver demo"])
    dashboard.page.screenshot(path=str(artifacts / "page-views.png"))

    room_id = widget.stored()["roomId"]
    room = rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", staff_token_for(business))[1]["room"]
    assert [view["url"] for view in room["metadata"]["pageViews"]] == [
        f"{live_server.http_url}/demo",
        f"{live_server.http_url}/pricing",
    ]


def test_data_track_pages_false_reports_nothing(live_server, host_pages, new_context):
    business = live_server.create_business("Quiet Co")
    html = (
        "<!doctype html><html><head><title>Private shop</title></head><body><p>A shop</p>"
        f'<script src="{live_server.http_url}/widget.js" data-business-id="{business}" data-track-pages="false" async>'
        "</script></body></html>"
    )
    page = new_context().new_page()
    page.goto(host_pages.add(f"/quiet-{business}", html))
    widget = Widget(page)
    widget.open()
    widget.send("Hello")
    widget.expect_sent("Hello")
    page.evaluate("() => { history.pushState({}, '', '/elsewhere'); document.title = 'Elsewhere'; }")
    page.wait_for_timeout(1500)
    room_id = widget.stored()["roomId"]
    room = rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", staff_token_for(business))[1]["room"]
    assert "pageViews" not in room["metadata"]
