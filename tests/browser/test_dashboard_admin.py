"""The dashboard's administration against the real server: signing in with a staff account's
password, managing FAQ answers (and a guest getting one in the widget), and the analytics view
drawn from GET /api/chat/analytics."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from chatserver.domain.clock import now_ms
from tests.browser.pages import Dashboard, Widget
from tests.browser.support import add_staff_account, staff_token_for
from tests.rest import rest

DAY_MS = 86_400_000


def test_staff_sign_in_with_a_password_set_by_the_cli(live_server, new_context):
    business = live_server.create_business("Password Co")
    cli = add_staff_account(live_server, business, "dana@example.com", "Dana", "correct horse battery")
    page = new_context().new_page()
    page.goto(f"{live_server.http_url}/dashboard/")
    form = page.locator(".password-login")
    expect(form).to_be_visible()
    form.get_by_label("Email").fill("dana@example.com")
    form.get_by_label("Password").fill("wrong horse")
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator(".login-error")).to_have_text("Wrong email or password.")

    assert cli.wait(timeout=60) == 0  # the account exists from here on
    form.get_by_label("Password").fill("correct horse battery")
    form.get_by_role("button", name="Sign in").click()
    dashboard = Dashboard(page)
    expect(dashboard.connection).to_have_text("Online")  # the token opened the WebSocket as staff
    expect(page.locator(".whoami")).to_have_text("Dana")
    expect(page.locator(".room-list .empty-list")).to_have_text("No chats yet.")  # and the REST API answered
    expect(form.get_by_label("Password")).to_have_value("")


def test_an_faq_added_in_the_dashboard_answers_the_guest_and_analytics_count_it(live_server, new_context, artifacts):
    business = live_server.create_business("Numbers Co")
    now = now_ms()
    # history the chart can show: two guest chats three days ago (one converted), a customer yesterday
    converted = live_server.create_guest_room(business, "Old guest", created_at=now - 3 * DAY_MS, email="old@x.io")
    live_server.create_guest_room(business, "Other guest", created_at=now - 3 * DAY_MS)
    live_server.create_guest_room(business, "Carol", created_at=now - DAY_MS, guest=False)
    token = staff_token_for(business)
    path = f"/api/chat/rooms/{converted}/convert-guest"
    assert rest(live_server.http_url, "POST", path, token, {"email": "old@x.io"})[0] == 200

    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 900}), live_server.http_url, business
    )
    page = dashboard.page
    page.get_by_role("link", name="FAQs").click()
    faqs = page.locator("#faqs")
    expect(faqs.locator("tbody")).to_have_text("No FAQs yet.")
    form = page.locator(".faq-form")
    form.get_by_role("textbox", name="Question", exact=True).fill("Do you ship to Canada?")
    form.get_by_role("textbox", name="Answer", exact=True).fill("Yes: Canada in 5 to 7 days, free over $100.")
    form.get_by_role("textbox", name="Keywords (comma-separated)").fill("canada, shipping")
    form.get_by_role("button", name="Add FAQ").click()
    expect(faqs.get_by_role("status")).to_have_text("Added.")
    expect(faqs.locator("tbody tr")).to_have_count(1)
    expect(faqs.locator("tbody tr td").nth(2)).to_have_text("canada, shipping")
    (faq,) = rest(live_server.http_url, "GET", f"/api/businesses/{business}/faqs", token)[1]["faqs"]
    assert faq["question"] == "Do you ship to Canada?"
    assert faq["keywords"] == ["canada", "shipping"] and faq["enabled"] is True

    # a guest asks: the server's automatic answer shows in the widget, styled apart from staff
    widget = Widget.on_demo(new_context(), live_server.http_url, business)
    widget.open()
    widget.send("Hi! Do you ship to canada?")
    answer = widget.message("Canada in 5 to 7 days")
    expect(answer).to_have_class("msg msg--system")
    expect(answer.locator(".meta")).to_contain_text("Automatic answer")
    assert widget.seqs() == [1, 2]
    widget.page.screenshot(path=str(artifacts / "widget-faq.png"))

    # disabling it from the table reaches the server
    faqs.get_by_label("Enabled: Do you ship to Canada?").uncheck()
    expect(faqs.get_by_role("status")).to_have_text("Disabled: Do you ship to Canada?")
    expect(faqs.get_by_label("Enabled: Do you ship to Canada?")).not_to_be_checked()
    assert (
        rest(live_server.http_url, "GET", f"/api/businesses/{business}/faqs/{faq['_id']}", token)[1]["enabled"] is False
    )

    # edit, then delete (a second press confirms: no modal dialog)
    faqs.get_by_role("button", name="Edit").click()
    form.get_by_role("textbox", name="Answer", exact=True).fill("Yes, in 5 to 7 days.")
    form.get_by_role("button", name="Save changes").click()
    expect(faqs.get_by_role("status")).to_have_text("Saved.")
    expect(faqs.locator("tbody tr td").nth(1)).to_have_text("Yes, in 5 to 7 days.")
    faqs.get_by_role("button", name="Delete").click()
    faqs.get_by_role("button", name="Really delete?").click()
    expect(faqs.get_by_role("status")).to_have_text("Deleted.")
    expect(faqs.locator("tbody")).to_have_text("No FAQs yet.")
    assert rest(live_server.http_url, "GET", f"/api/businesses/{business}/faqs", token)[1]["faqs"] == []

    # analytics: the last 14 UTC days from the real endpoint, as numbers and a chart
    page.get_by_role("link", name="Analytics").click()
    view = page.locator("#analytics")
    stat = lambda key: view.locator(f'.stat[data-stat="{key}"] .value')  # noqa: E731
    expect(stat("conversations")).to_have_text("4")  # 3 guests (2 old, today's) + 1 customer
    expect(stat("guests")).to_have_text("3")
    expect(stat("converted")).to_have_text("1")
    expect(stat("conversionRate")).to_have_text("33.3 %")
    expect(stat("faqAnswers")).to_have_text("1")
    expect(view.locator(".chart svg rect.bar")).to_have_count(14)
    today = datetime.now(UTC).date()
    bars = view.locator(".chart svg rect.bar title").all_text_contents()
    counts = {label.split(": ")[0]: int(re.findall(r"(\d+) conversations", label)[0]) for label in bars}
    assert counts[str(today - timedelta(days=3))] == 2
    assert counts[str(today - timedelta(days=1))] == 1
    assert counts[str(today)] == 1
    assert sum(counts.values()) == 4
    heights = view.locator(".chart svg rect.bar").evaluate_all("els => els.map(e => Number(e.getAttribute('height')))")
    assert heights[-4] > heights[-1] > 0 and heights[-2] > 0 and heights[0] == 0
    expect(view.locator(".chart svg polyline.rate")).to_have_count(1)  # the conversion rate line
    expect(view.locator("tbody tr")).to_have_count(14)
    page.screenshot(path=str(artifacts / "dashboard-analytics.png"))
