"""Satisfaction ratings (issue 17) in a real browser against the real server: staff close the
chat in the dashboard, the widget asks "How was this conversation?", the guest picks 4 stars and
a comment and sends; the dashboard's header shows the rating and the analytics tab counts it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget
from tests.browser.support import staff_token_for
from tests.rest import rest


def test_the_guest_rates_a_closed_chat_and_staff_see_it_in_analytics(live_server, host_pages, new_context, artifacts):
    business = live_server.create_business("Rating Co")
    widget = Widget.on_host_page(new_context(), host_pages, live_server.http_url, business, "Rosa")
    widget.open()
    widget.send("Where is my parcel?")
    widget.expect_sent("Where is my parcel?")
    prompt = widget.host.locator(".rating")
    expect(prompt).to_be_hidden()

    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    dashboard.open_room("Rosa")
    dashboard.send("It arrives tomorrow.")
    expect(widget.message("It arrives tomorrow.")).to_have_count(1)
    dashboard.page.get_by_role("button", name="Close chat").click()

    # the widget asks once the room is closed; Send waits for a score
    expect(prompt).to_be_visible()
    expect(prompt.locator(".question")).to_have_text("How was this conversation?")
    send = prompt.get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    for n in range(1, 6):
        expect(prompt.get_by_role("button", name=f"{n} star" + ("s" if n > 1 else ""), exact=True)).to_be_visible()
    prompt.get_by_role("button", name="4 stars", exact=True).click()
    expect(prompt.get_by_role("button", name="4 stars", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(prompt.get_by_role("button", name="5 stars", exact=True)).to_have_attribute("aria-pressed", "false")
    prompt.get_by_label("Comment (optional)").fill("Helpful <b>and</b> fast")
    send.click()
    expect(prompt.locator(".note")).to_have_text("Thanks for your feedback")
    widget.page.screenshot(path=str(artifacts / "csat-widget.png"))

    room_id = widget.stored()["roomId"]
    token = staff_token_for(business)
    rating = rest(live_server.http_url, "GET", f"/api/chat/rooms/{room_id}", token)[1]["room"]["rating"]
    assert rating["score"] == 4 and rating["comment"] == "Helpful <b>and</b> fast"

    # the open conversation's header shows it live, as text
    fact = dashboard.header.locator(".fact.rating")
    expect(fact).to_have_text("Rated 4/5 ★★★★☆ — “Helpful <b>and</b> fast”")

    # analytics: one response, average 4.00
    dashboard.page.get_by_role("link", name="Analytics").click()
    view = dashboard.page.locator("#analytics")
    stat = lambda key: view.locator(f'.stat[data-stat="{key}"] .value')  # noqa: E731
    expect(stat("csatResponses")).to_have_text("1")
    expect(stat("csatAverage")).to_have_text("4.00")
    expect(stat("csatDistribution")).to_have_text("1★ 0 · 2★ 0 · 3★ 0 · 4★ 1 · 5★ 0")
    dashboard.page.screenshot(path=str(artifacts / "csat-analytics.png"))

    # staff reopen: the prompt goes away; closed again, it asks anew
    dashboard.page.get_by_role("link", name="Chats").click()
    dashboard.open_room("Rosa")
    dashboard.page.get_by_role("button", name="Reopen").click()
    expect(prompt).to_be_hidden()
    dashboard.page.get_by_role("button", name="Close chat").click()
    expect(prompt).to_be_visible()
    expect(prompt.get_by_role("button", name="4 stars", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(prompt.locator(".note")).to_have_text("")
