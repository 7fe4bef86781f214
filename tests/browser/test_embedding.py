"""The widget on other people's pages: another origin, hostile CSS, a keyboard, a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Widget

HOSTILE_PAGE = """<!doctype html>
<html><head><title>Hostile shop</title>
<style>
  * { display: none !important; visibility: hidden !important; opacity: 0 !important; color: red !important;
      font-size: 40px !important; background: yellow !important; transform: scale(0.2) !important;
      position: static !important; pointer-events: none !important; filter: blur(4px) !important; }
  html, body { display: block !important; visibility: visible !important; opacity: 1 !important;
      transform: none !important; pointer-events: auto !important; filter: none !important; }
  div, section, button, textarea, ol, li, span, form { all: unset !important; }
  chatserver-widget { display: none !important; width: 0 !important; height: 0 !important; }
</style></head>
<body><p id="host-text">The shop's own content</p>
<script src="{server}/widget.js" data-business-id="{business}" async></script>
</body></html>"""

PLAIN_PAGE = """<!doctype html>
<html><head><title>Plain shop</title>
<style>p { color: rgb(1, 2, 3); font-size: 17px; } button { background: rgb(4, 5, 6); }</style>
<script>
  window.__before = {};
  __before.names = Object.getOwnPropertyNames(window);
  __before.sheets = document.styleSheets.length;
</script></head>
<body><a href="#top">Home</a> <button id="host-button" type="button">Host button</button>
<p id="host-text">Welcome to the plain shop.</p>
<script src="{server}/widget.js" data-business-id="{business}" async></script>
</body></html>"""


def test_aggressive_host_css_does_not_reach_the_widget(live_server, host_pages, new_context, artifacts):
    business = live_server.create_business("Hostile Inc")
    context = new_context(viewport={"width": 1100, "height": 720})
    url = host_pages.add(
        "/hostile", HOSTILE_PAGE.replace("{server}", live_server.http_url).replace("{business}", business)
    )
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#host-text")).to_be_hidden()  # the host's rules are in force on its own content

    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    box = widget.launcher.bounding_box()
    assert box["width"] > 60 and box["height"] >= 48, box
    assert widget.launcher.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(37, 99, 235)"

    widget.open()
    widget.send("Does your CSS reach me?")
    widget.expect_sent("Does your CSS reach me?")
    text = widget.message("Does your CSS reach me?").locator(".text")
    assert text.evaluate("el => getComputedStyle(el).fontSize") == "14px"
    assert text.evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 255)"
    expect(widget.input).to_be_editable()
    page.screenshot(path=str(artifacts / "widget-hostile-css.png"))


def test_the_widget_leaves_the_host_page_alone_and_works_from_the_keyboard(live_server, host_pages, new_context):
    business = live_server.create_business("Plain Ltd")
    context = new_context()
    url = host_pages.add("/plain", PLAIN_PAGE.replace("{server}", live_server.http_url).replace("{business}", business))
    page = context.new_page()
    page.goto(url)
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()

    # nothing of the host changed: no global name, no stylesheet, one element added, same styles
    assert page.evaluate("() => Object.getOwnPropertyNames(window).filter(n => !__before.names.includes(n))") == []
    assert page.evaluate("() => document.styleSheets.length === __before.sheets")
    assert page.evaluate("() => Array.from(document.body.children).map(e => e.tagName.toLowerCase())") == [
        "a",
        "button",
        "p",
        "script",
        "chatserver-widget",
    ]
    assert page.locator("#host-text").evaluate("el => getComputedStyle(el).color") == "rgb(1, 2, 3)"
    assert page.locator("#host-text").evaluate("el => getComputedStyle(el).fontSize") == "17px"
    assert page.locator("#host-button").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(4, 5, 6)"

    # keyboard only: Tab to the launcher, Enter opens with focus in the message box, Escape closes
    focused = """() => {
        const a = document.activeElement;
        return a && a.shadowRoot && a.shadowRoot.activeElement ? a.shadowRoot.activeElement.className : a && a.id;
    }"""
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(focused) == "launcher":
            break
    assert page.evaluate(focused) == "launcher"
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    expect(widget.input).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    widget.expect_sent("Typed without a mouse")
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert page.evaluate(focused) == "launcher"

    # what assistive technology sees
    page.keyboard.press("Enter")
    expect(widget.host.get_by_role("dialog", name="Chat with us")).to_be_visible()
    expect(widget.host.get_by_role("log", name="Conversation")).to_be_visible()
    expect(widget.host.get_by_role("status").first).to_have_text("We reply as soon as we can")  # no staff online
    expect(widget.host.get_by_role("button", name="Close chat").first).to_be_visible()


def test_the_widget_is_usable_on_a_phone(live_server, new_context, artifacts):
    business = live_server.create_business("Mobile Co")
    context = new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    widget = Widget.on_demo(context, live_server.http_url, business)
    box = widget.launcher.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, box
    widget.launcher.tap()
    expect(widget.panel).to_be_visible()
    panel = widget.panel.bounding_box()
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844), panel
    expect(widget.launcher).to_be_hidden()  # the full-screen panel has its own close button
    field = widget.input.bounding_box()
    assert field["y"] + field["height"] <= 844 and field["width"] > 200, field
    widget.send("Hi from my phone")
    widget.expect_sent("Hi from my phone")
    widget.page.screenshot(path=str(artifacts / "widget-phone.png"))
    widget.host.get_by_role("button", name="Close chat").first.tap()
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_visible()
