"""The server restarts in the middle of a conversation; the widget and the dashboard recover alone."""

from __future__ import annotations

import signal

import pytest
from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget


@pytest.mark.parametrize(
    ("backend", "how"),
    [("sqlite", signal.SIGKILL), ("postgres", signal.SIGTERM)],
    ids=["sqlite-crash", "postgres-deploy"],
)
def test_a_server_restart_mid_conversation_loses_nothing_and_duplicates_nothing(
    backend, how, own_server, new_context, artifacts
):
    server = own_server
    business = server.create_business("Contoso")
    widget = Widget.on_demo(new_context(viewport={"width": 1280, "height": 760}), server.url, business)
    dashboard = Dashboard.signed_in(new_context(viewport={"width": 1280, "height": 760}), server.url, business)

    widget.open()
    widget.send("before the restart")
    widget.expect_sent("before the restart")
    dashboard.page.get_by_role("button", name="Refresh the list").click()
    dashboard.open_room("before the restart")
    dashboard.send("staff before the restart")
    expect(widget.message("staff before the restart")).to_have_count(1)

    server.stop(how)  # SIGKILL: a crash, nothing said to clients; SIGTERM: a deploy, close 1001
    expect(widget.status).to_have_text("Reconnecting…")
    expect(dashboard.connection).to_have_text("Reconnecting…")

    # both sides write while the server is down: shown as pending, not lost
    widget.send("guest while down")
    dashboard.send("staff while down")
    expect(widget.log.locator('.msg[data-state="pending"]')).to_contain_text("guest while down")
    expect(dashboard.messages.locator('.msg[data-state="pending"]')).to_contain_text("staff while down")
    # and a colleague on another instance answered meanwhile: neither client has seen it
    server.append(widget.stored()["roomId"], "stored while they were away", sender="Bob")

    server.start()
    widget.expect_online()
    expect(dashboard.connection).to_have_text("Online")
    widget.expect_sent("guest while down")
    dashboard.expect_sent("staff while down")

    everything = {
        "before the restart",
        "staff before the restart",
        "guest while down",
        "staff while down",
        "stored while they were away",
    }
    for view in (widget.log, dashboard.messages):
        expect(view.locator(".msg .text")).to_have_count(len(everything))
    for view in (widget, dashboard):
        assert sorted(view.texts()) == sorted(everything)
        assert view.seqs() == [1, 2, 3, 4, 5]  # the server's order, no gap, no repeat
    assert widget.texts()[:2] == ["before the restart", "staff before the restart"]
    assert widget.texts() == dashboard.texts()

    # and the conversation is live again, both ways
    widget.send("after the restart")
    expect(dashboard.messages.locator(".msg .text").filter(has_text="after the restart")).to_have_count(1)
    dashboard.send("welcome back")
    expect(widget.message("welcome back")).to_have_count(1)
    assert widget.seqs() == dashboard.seqs() == [1, 2, 3, 4, 5, 6, 7]
    widget.page.screenshot(path=str(artifacts / f"widget-after-restart-{backend}.png"))
