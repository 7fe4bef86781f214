"""The widget in the visitor's language (issue 18): French from the script's data-locale, Arabic
from the host page's <html lang> laid out right to left; the language goes with the join, so the
business's auto-response comes in it too, and times are formatted for it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.support import staff_token_for
from tests.rest import rest

GREETINGS = {
    "greeting": {
        "enabled": True,
        "message": "Hi! How can we help?",
        "messages": {"fr": "Bonjour ! Comment pouvons-nous vous aider ?", "ar": "مرحبًا! كيف يمكننا مساعدتك؟"},
    }
}


def shop(host_pages: Any, base_url: str, business: str, *, lang: str, locale: str = "") -> str:
    attribute = f' data-locale="{locale}"' if locale else ""
    html = (
        f'<!doctype html><html lang="{lang}"><head><title>Boutique</title></head><body><p>Boutique</p>'
        f'<script src="{base_url}/widget.js" data-business-id="{business}"{attribute} async></script></body></html>'
    )
    return str(host_pages.add(f"/shop-{business}-{lang}-{locale}", html))


def test_the_widget_speaks_french_from_data_locale(live_server, host_pages, new_context, artifacts):
    business = live_server.create_business("Boutique")
    token = staff_token_for(business)
    assert rest(live_server.http_url, "PUT", f"/api/businesses/{business}/settings", token, GREETINGS)[0] == 200
    page = new_context(viewport={"width": 1280, "height": 760}).new_page()
    page.goto(shop(host_pages, live_server.http_url, business, lang="en", locale="fr"))  # the attribute wins
    host = page.locator("chatserver-widget")
    expect(host).to_have_attribute("lang", "fr")
    host.get_by_role("button", name="Ouvrir le chat").click()
    panel = host.get_by_role("dialog")
    expect(panel.get_by_role("heading")).to_contain_text("Discutons")
    expect(host.locator(".status")).to_have_text("Nous répondons dès que possible")  # no staff online
    box = host.get_by_role("textbox", name="Message")
    expect(box).to_have_attribute("placeholder", "Écrivez un message…")
    box.fill("Bonjour, livrez-vous en Belgique ?")
    host.get_by_role("button", name="Envoyer").click()
    log = host.get_by_role("log")
    expect(log.locator(".msg--system .text")).to_have_text("Bonjour ! Comment pouvons-nous vous aider ?")
    expect(log.locator(".msg--system .meta")).to_contain_text("Message automatique")
    expect(log.locator(".msg--mine .meta")).to_contain_text("Vous")
    page.screenshot(path=str(artifacts / "widget-fr.png"))
    rooms = rest(live_server.http_url, "GET", f"/api/chat/rooms?businessId={business}", token)[1]["rooms"]
    assert rooms[0]["metadata"]["locale"] == "fr"


def test_the_widget_speaks_arabic_right_to_left_from_the_pages_lang(live_server, host_pages, new_context, artifacts):
    business = live_server.create_business("متجر")
    token = staff_token_for(business)
    assert rest(live_server.http_url, "PUT", f"/api/businesses/{business}/settings", token, GREETINGS)[0] == 200
    page = new_context(viewport={"width": 1280, "height": 760}).new_page()
    page.goto(shop(host_pages, live_server.http_url, business, lang="ar"))
    host = page.locator("chatserver-widget")
    expect(host).to_have_attribute("dir", "rtl")
    host.get_by_role("button", name="افتح الدردشة").click()
    panel = host.get_by_role("dialog")
    expect(panel.get_by_role("heading")).to_contain_text("تحدث معنا")
    assert panel.evaluate("el => getComputedStyle(el).direction") == "rtl"
    box = panel.bounding_box()
    assert box is not None and box["x"] < 400, box  # on the left of the page, mirrored
    entry = host.get_by_role("textbox", name="الرسالة")
    entry.fill("هل يمكنني تتبع طلبي؟")
    host.get_by_role("button", name="إرسال").click()
    log = host.get_by_role("log")
    expect(log.locator(".msg--system .text")).to_have_text("مرحبًا! كيف يمكننا مساعدتك؟")
    expect(log.locator(".msg--mine .meta")).to_contain_text("أنت")
    time = log.locator(".msg--mine time").inner_text()
    assert any(ch in time for ch in "٠١٢٣٤٥٦٧٨٩صم"), time  # formatted by Intl for Arabic
    page.screenshot(path=str(artifacts / "widget-ar.png"))


def test_an_unknown_language_falls_back_to_english_and_a_regional_one_to_its_language(
    live_server, host_pages, new_context
):
    business = live_server.create_business("Fallback Co")
    page = new_context(viewport={"width": 1280, "height": 760}).new_page()
    page.goto(shop(host_pages, live_server.http_url, business, lang="it"))
    host = page.locator("chatserver-widget")
    expect(host).to_have_attribute("lang", "en")
    expect(host.get_by_role("button", name="Open chat")).to_be_visible()
    page.goto(shop(host_pages, live_server.http_url, business, lang="en", locale="pt-BR"))
    host = page.locator("chatserver-widget")
    expect(host).to_have_attribute("lang", "pt")
    expect(host.get_by_role("button", name="Abrir o chat")).to_be_visible()
