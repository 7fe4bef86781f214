"""The server restarts in the middle of a conversation; the widget and the dashboard recover alone.

Twice in one conversation, on the same port and SQLite file: a crash (SIGKILL: connections just
drop) and a deploy (SIGTERM: the server closes them with 1001 and drains).
"""

from __future__ import annotations

import signal

import pytest
from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget


def restart_while_both_write(server, widget, dashboard, how, n: int) -> set[str]:
    """Stop the server, let both sides write (and a colleague elsewhere), start it again, and
    wait until both sides are back and their pending messages are sent. Returns what was written."""
    server.stop(how)
    expect(widget.status).to_have_text("Reconnecting…")
    expect(dashboard.connection).to_have_text("Reconnecting…")

    # both sides write while the server is down: shown as pending, not lost
    guest_text, staff_text, other_text = f"guest while down {n}", f"staff while down {n}", f"stored elsewhere {n}"
    widget.send(guest_text)
    dashboard.send(staff_text)
    expect(widget.log.locator('.msg[data-state="pending"]')).to_contain_text(guest_text)
    expect(dashboard.messages.locator('.msg[data-state="pending"]')).to_contain_text(staff_text)
    # and a colleague on another instance answered meanwhile: neither client has seen it
    server.append(widget.stored()["roomId"], other_text, sender="Bob")

    server.start()
    widget.expect_online()
    expect(dashboard.connection).to_have_text("Online")
    widget.expect_sent(guest_text)
    dashboard.expect_sent(staff_text)
    return {guest_text, staff_text, other_text}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_server_restarts_mid_conversation_lose_nothing_and_duplicate_nothing(own_server, new_context, artifacts):
    server = own_server
    business = server.create_business("Contoso")
    widget = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), server.http_url, business)
    dashboard = Dashboard.signed_in(new_context(viewport={"width": 1280, "height": 760}), server.http_url, business)

    widget.open()
    widget.send("before the restart")
    widget.expect_sent("before the restart")
    dashboard.page.get_by_role("button", name="Refresh the list").click()
    dashboard.open_room("before the restart")
    dashboard.send("staff before the restart")
    expect(widget.message("staff before the restart")).to_have_count(1)
    everything = {"before the restart", "staff before the restart"}

    for n, how in enumerate((signal.SIGKILL, signal.SIGTERM), start=1):
        everything |= restart_while_both_write(server, widget, dashboard, how, n)
        for view in (widget.log, dashboard.messages):
            expect(view.locator(".msg .text")).to_have_count(len(everything))
        for view in (widget, dashboard):
            assert sorted(view.texts()) == sorted(everything)
            assert view.seqs() == list(range(1, len(everything) + 1))  # the server's order: no gap, no repeat
        assert widget.texts() == dashboard.texts()

    # and the conversation is live again, both ways
    widget.send("after the restarts")
    expect(dashboard.messages.locator(".msg .text").filter(has_text="after the restarts")).to_have_count(1)
    dashboard.send("welcome back")
    expect(widget.message("welcome back")).to_have_count(1)
    widget.expect_sent("after the restarts")
    dashboard.expect_sent("welcome back")  # its seq comes with the ack, which may follow the push
    assert widget.seqs() == dashboard.seqs() == list(range(1, len(everything) + 3))
    widget.page.screenshot(path=str(artifacts / "widget-after-restarts.png"))
    dashboard.page.screenshot(path=str(artifacts / "dashboard-after-restarts.png"))
