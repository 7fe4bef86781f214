"""Canned responses in the dashboard against the real server: staff save one in the Canned
responses tab, then insert it in a guest's chat by typing ``/`` and its short code in the reply
box, with the visitor's and the staff member's names filled in; the guest gets exactly that text."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget
from tests.browser.support import staff_token_for
from tests.rest import rest

XSS = "<img src=x onerror=alert(1)>"


def test_a_canned_response_added_in_the_tab_is_inserted_filled_with_slash_and_sent(
    live_server, host_pages, new_context, artifacts
):
    business = live_server.create_business("Canned Co")
    token = staff_token_for(business)
    path = f"/api/businesses/{business}/canned-responses"
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business, name="Alice"
    )
    page = dashboard.page

    # the tab: add one; it shows in the table and the server stored it
    page.get_by_role("link", name="Canned responses").click()
    tab = page.locator("#canned")
    expect(tab.get_by_role("heading", name="Canned responses")).to_be_visible()
    expect(tab.locator("tbody")).to_have_text("No canned responses yet.")
    tab.get_by_role("textbox", name="Short code").fill("greet")
    tab.get_by_role("textbox", name="Content").fill("Hi {{visitor.name}}, I am {{staff.name}}.")
    tab.get_by_role("button", name="Add response").click()
    expect(tab.get_by_role("status")).to_have_text("Added.")
    expect(tab.locator("tbody tr")).to_have_count(1)
    expect(tab.locator("tbody tr td").nth(0)).to_have_text("/greet")
    expect(tab.locator("tbody tr td").nth(1)).to_have_text("Hi {{visitor.name}}, I am {{staff.name}}.")
    status, body = rest(live_server.http_url, "GET", path, token)
    assert status == 200
    (saved,) = body["cannedResponses"]
    assert saved["shortCode"] == "greet" and saved["content"] == "Hi {{visitor.name}}, I am {{staff.name}}."
    assert saved["businessId"] == business

    # a guest who gave a name writes
    widget = Widget.on_host_page(new_context(), host_pages, live_server.http_url, business, "Maria")
    widget.open()
    widget.send("Hello, anyone there?")
    widget.expect_sent("Hello, anyone there?")

    page.get_by_role("link", name="Chats").click()
    dashboard.open_room("Maria")
    expect(dashboard.messages.locator(".msg--visitor .text")).to_have_text(["Hello, anyone there?"])

    # "/gr" opens the list; Enter inserts the filled text instead of sending
    dashboard.reply.click()
    dashboard.reply.press_sequentially("/gr")
    listbox = page.get_by_role("listbox", name="Canned responses")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option")
    expect(option).to_have_count(1)
    expect(option.locator(".code")).to_have_text("/greet")
    expect(option).to_contain_text("Hi {{visitor.name}}, I am {{staff.name}}.")
    expect(option).to_have_attribute("aria-selected", "true")
    page.screenshot(path=str(artifacts / "canned-responses.png"))

    dashboard.reply.press("Enter")
    filled = "Hi Maria, I am Alice."
    expect(listbox).to_be_hidden()
    expect(dashboard.reply).to_have_value(filled)
    assert dashboard.texts() == ["Hello, anyone there?"]  # nothing was sent by that Enter

    dashboard.reply.press("Enter")
    dashboard.expect_sent(filled)
    expect(dashboard.reply).to_have_value("")
    expect(widget.message(filled)).to_have_class("msg msg--staff")
    expect(widget.message(filled).locator(".text")).to_have_text(filled)
    assert widget.texts() == ["Hello, anyone there?", filled]


def test_the_list_filters_moves_and_closes_and_the_tab_edits_deletes_and_shows_refusals(
    live_server, new_context, artifacts
):
    business = live_server.create_business("Canned Two")
    token = staff_token_for(business)
    path = f"/api/businesses/{business}/canned-responses"
    for code, content in [
        ("thanks", "Thanks, {{visitor.name}}! We write to {{visitor.email}} about {{order.id}}."),
        ("refund", "Refunds take 5 days."),
        ("thx-short", "Thx!"),
        ("xss", XSS),
    ]:
        assert rest(live_server.http_url, "POST", path, token, {"shortCode": code, "content": content})[0] == 201
    live_server.create_guest_room(business, "Zoe", email="zoe@example.com")
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business, name="Bea"
    )
    page, reply = dashboard.page, dashboard.reply
    listbox = page.get_by_role("listbox", name="Canned responses")
    options = listbox.get_by_role("option")
    dashboard.open_room("Zoe")

    # the short code's prefix in any case, in shortCode order; the arrows move and wrap around
    reply.press_sequentially("Sure /TH")
    expect(options.locator(".code")).to_have_text(["/thanks", "/thx-short"])
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    reply.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    reply.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    reply.press("ArrowUp")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")

    # Escape closes it (and it stays closed while that "/word" is typed on); the text stays
    reply.press("Escape")
    expect(listbox).to_be_hidden()
    reply.press_sequentially("a")
    expect(listbox).to_be_hidden()
    expect(reply).to_have_value("Sure /THa")

    # "/" inside a word opens nothing; a query matching no short code matches the content
    reply.fill("")
    reply.press_sequentially("and/th")
    expect(listbox).to_be_hidden()
    reply.fill("")
    reply.press_sequentially("/days")
    expect(options.locator(".code")).to_have_text(["/refund"])
    options.first.click()  # a click inserts too
    expect(listbox).to_be_hidden()
    expect(reply).to_have_value("Refunds take 5 days.")
    expect(reply).to_be_focused()

    # in the middle of a text: the email is filled, an unknown placeholder stays as typed
    reply.press_sequentially(" /thanks")
    expect(options).to_have_count(1)
    reply.press("Enter")
    expect(reply).to_have_value("Refunds take 5 days. Thanks, Zoe! We write to zoe@example.com about {{order.id}}.")
    assert dashboard.texts() == []

    # the tab: a short code already used (in another case) is refused on that field
    page.get_by_role("link", name="Canned responses").click()
    tab = page.locator("#canned")
    expect(tab.locator("tbody tr td.code")).to_have_text(["/refund", "/thanks", "/thx-short", "/xss"])
    expect(tab.locator("tbody tr", has_text="/xss").locator("td.content")).to_have_text(XSS)  # text, not markup
    short_code = tab.get_by_role("textbox", name="Short code")
    short_code.fill("REFUND")
    tab.get_by_role("textbox", name="Content").fill("Another text")
    tab.get_by_role("button", name="Add response").click()
    expect(tab.get_by_role("status")).to_contain_text("Not saved:")
    expect(tab.get_by_role("status")).to_contain_text("already used")
    expect(short_code).to_have_attribute("aria-invalid", "true")
    expect(short_code).to_be_focused()
    expect(tab.locator("tbody tr")).to_have_count(4)
    page.screenshot(path=str(artifacts / "canned-responses-tab.png"))

    # edit, then delete (a second press confirms)
    tab.locator("tbody tr", has_text="/refund").get_by_role("button", name="Edit").click()
    expect(short_code).to_have_value("refund")
    tab.get_by_role("textbox", name="Content").fill("Refunds take 3 to 5 working days.")
    tab.get_by_role("button", name="Save changes").click()
    expect(tab.get_by_role("status")).to_have_text("Saved.")
    expect(tab.locator("tbody tr", has_text="/refund").locator("td.content")).to_have_text(
        "Refunds take 3 to 5 working days."
    )
    thx = tab.locator("tbody tr", has_text="/thx-short")
    thx.get_by_role("button", name="Delete").click()
    thx.get_by_role("button", name="Really delete?").click()
    expect(tab.get_by_role("status")).to_have_text("Deleted.")
    expect(tab.locator("tbody tr td.code")).to_have_text(["/refund", "/thanks", "/xss"])
    stored = rest(live_server.http_url, "GET", path, token)[1]["cannedResponses"]
    assert [c["shortCode"] for c in stored] == ["refund", "thanks", "xss"]
    assert stored[0]["content"] == "Refunds take 3 to 5 working days."

    # the reply box offers the list as changed
    page.get_by_role("link", name="Chats").click()
    reply.fill("")
    reply.press_sequentially("/th")
    expect(options.locator(".code")).to_have_text(["/thanks"])  # /thx-short is gone
    reply.fill("")
    reply.press_sequentially("/ref")
    expect(options).to_contain_text("Refunds take 3 to 5 working days.")
    reply.fill("")
    reply.press_sequentially("/xs")
    expect(options.locator(".snippet")).to_have_text([XSS])
    reply.press("Enter")
    expect(reply).to_have_value(XSS)
