"""The dashboard stays live whichever instance the guest's connection reaches: two
``chatserver serve`` processes share a PostgreSQL schema and Redis (a key prefix of this test's
own); the dashboard talks to instance A, the guest's widget to instance B."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget
from tests.browser.support import postgres_schema_aside, start_instances
from tests.procs import stop_together
from tests.services import REDIS_URL, redis_prefix, require_redis


def wait_for(page: Any, condition: Any, what: str) -> None:
    """Poll a condition on test-side state (requests seen) while Playwright processes events."""
    for _ in range(400):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never happened: {what}")


def test_a_dashboard_on_instance_a_follows_a_guest_on_instance_b_live(new_context, tmp_path: Path, artifacts):
    require_redis()
    with postgres_schema_aside() as schema, redis_prefix() as prefix:
        a, b = start_instances(schema, tmp_path, {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix}, "a", "b")
        try:
            business = a.create_business("Twin Co")
            context = new_context(viewport={"width": 1280, "height": 760})
            reads: list[str] = []  # every room-list read the dashboard makes over REST
            context.on(
                "request",
                lambda request: reads.append(request.url) if "/api/chat/rooms" in request.url else None,
            )
            dashboard = Dashboard.signed_in(context, a.http_url, business)
            expect(dashboard.page.locator(".room-list .empty-list")).to_have_text("No chats yet.")
            # the two reads of a start (page load, then WebSocket ready); none after them
            wait_for(dashboard.page, lambda: len(reads) >= 2, "the dashboard's first two list reads")
            baseline = len(reads)

            widget = Widget.on_demo(new_context(), b.http_url, business)
            widget.open()
            widget.send("Hello from the other instance")
            widget.expect_sent("Hello from the other instance")

            # chat:room-created then chat:room-updated, published by B, pushed by A
            row = dashboard.room("Hello from the other instance")
            expect(row).to_have_count(1)
            expect(row.locator(".badge.anonymous")).to_have_text("Anonymous")
            expect(row.locator(".badge.unread")).to_have_text("1")
            widget.send("Are you there?")
            row = dashboard.room("Are you there?")
            expect(row).to_have_count(1)
            expect(row.locator(".badge.unread")).to_have_text("2")
            assert len(reads) == baseline, reads  # live from the pushes, not from re-reading the list

            # and the other way: staff on A answer and close, the guest on B sees both
            dashboard.open_room("Are you there?")
            dashboard.send("Yes, from instance A.")
            expect(widget.message("Yes, from instance A.")).to_have_class("msg msg--staff")
            dashboard.page.get_by_role("button", name="Close chat").click()
            expect(widget.closed_line).to_be_visible()
            expect(dashboard.room("Yes, from instance A.").locator(".badge.closed")).to_have_text("Closed")
            dashboard.page.screenshot(path=str(artifacts / "dashboard-two-instances.png"))
        finally:
            stop_together(a, b)
