"""Telling chats apart (issue 18): guests who gave no name are not all "Guest" in the dashboard;
each shows as "Visitor NNNN" with a colour of its own, both derived from its guest id, so the
label is the same after a reload and on a colleague's screen; a name the visitor gave wins."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget

LABEL = re.compile(r"^Visitor \d{4}$")


def labels(dashboard: Dashboard) -> list[str]:
    """Each row's name as read: the marker's letters and the badge stripped."""
    names = dashboard.page.locator(".room-list .room .name").evaluate_all(
        "els => els.map(e => [...e.childNodes]"
        ".filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join(''))"
    )
    return [name.strip() for name in names]


def test_unnamed_guests_get_distinct_stable_labels_and_a_given_name_wins(live_server, host_pages, new_context):
    business = live_server.create_business("Label Co")
    for text in ("first question", "second question"):
        guest = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
        guest.open()
        guest.send(text)
        guest.expect_sent(text)
    named = Widget.on_host_page(new_context(), host_pages, live_server.http_url, business, "Maria")
    named.open()
    named.send("third question")
    named.expect_sent("third question")

    alice = Dashboard.signed_in(new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business)
    expect(alice.page.locator(".room-list .room")).to_have_count(3)
    shown = labels(alice)
    unnamed = [name for name in shown if LABEL.match(name)]
    assert len(unnamed) == 2 and unnamed[0] != unnamed[1], shown
    assert "Maria" in " ".join(shown) and "Guest" not in " ".join(shown), shown
    colours = alice.page.locator(".room-list .visitor-marker").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    assert len(set(colours)) == 3, colours

    # the header says the same; a reload and a colleague's dashboard show the same labels
    alice.open_room("first question")
    header = alice.page.locator(".conv-header h2")
    first_label = next(name for name in labels(alice) if LABEL.match(name) and name in header.inner_text())
    alice.page.reload()
    expect(alice.connection).to_have_text("Online")
    expect(alice.page.locator(".room-list .room")).to_have_count(3)
    assert sorted(labels(alice)) == sorted(shown)
    bob = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business, name="Bob"
    )
    expect(bob.page.locator(".room-list .room")).to_have_count(3)
    assert sorted(labels(bob)) == sorted(shown)
    assert first_label in labels(bob)
