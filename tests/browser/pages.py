"""Page objects: the widget on a host page and the staff dashboard, as a test sees them.

Locators pierce the widget's open shadow root, so ``.msg`` finds its messages.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.support import WAIT_MS, staff_token_for


def seqs_of(container: Any) -> list[int]:
    """The ``seq`` of every stored message shown, in display order."""
    values = container.locator(".msg[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")
    return [int(value) for value in values]


class Widget:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.host = page.locator("chatserver-widget")
        self.launcher = self.host.locator(".launcher")
        self.panel = self.host.get_by_role("dialog")
        self.input = self.host.get_by_role("textbox", name="Message")
        self.log = self.host.get_by_role("log")
        self.status = self.host.locator(".status")
        self.typing = self.host.locator(".typing")
        self.closed_line = self.host.locator(".room-closed")

    @classmethod
    def on_demo(cls, context: Any, base_url: str, business_id: str) -> Widget:
        page = context.new_page()
        page.goto(f"{base_url}/demo?businessId={business_id}")
        return cls(page)

    @classmethod
    def on_host_page(cls, context: Any, host_pages: Any, base_url: str, business_id: str, user_name: str) -> Widget:
        """A shop page on another origin embedding the widget for a visitor whose name the shop knows."""
        html = (
            f"<!doctype html><html><head><title>Shop</title></head><body><p>A shop</p>"
            f'<script src="{base_url}/widget.js" data-business-id="{business_id}" data-user-name="{user_name}" async>'
            "</script></body></html>"
        )
        page = context.new_page()
        page.goto(host_pages.add(f"/shop-{business_id}", html))
        return cls(page)

    def open(self) -> None:
        if self.panel.is_hidden():
            self.launcher.click()
        expect(self.panel).to_be_visible()

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def message(self, text: str) -> Any:
        return self.log.locator(".msg", has=self.page.locator(".text", has_text=text))

    def expect_sent(self, text: str) -> None:
        expect(self.log.locator('.msg[data-state="sent"] .text').filter(has_text=text)).to_have_count(
            1, timeout=WAIT_MS
        )

    def expect_online(self) -> None:
        """Connected: "Online" with staff there, the away text without (``chat:presence``)."""
        expect(self.status).to_have_attribute("data-state", re.compile(r"^(open|away)$"), timeout=WAIT_MS)

    def texts(self) -> list[str]:
        return [str(t) for t in self.log.locator(".msg .text").all_text_contents()]

    def seqs(self) -> list[int]:
        return seqs_of(self.log)

    def stored(self) -> dict[str, Any]:
        value = self.page.evaluate(
            "bid => JSON.parse(localStorage.getItem('chatserver:widget:' + bid) || '{}')",
            self.host.get_attribute("data-business-id"),
        )
        return dict(value)


class Dashboard:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.rooms = page.locator(".room-list .room")
        self.messages = page.locator(".messages")
        self.reply = page.get_by_role("textbox", name="Reply")
        self.connection = page.locator(".connection")
        self.header = page.locator(".conv-header")
        self.typing = page.locator(".conversation .typing")

    @classmethod
    def signed_in(cls, context: Any, base_url: str, business_id: str, name: str = "Alice") -> Dashboard:
        page = context.new_page()
        page.goto(f"{base_url}/dashboard/")
        page.get_by_label("Staff token").fill(staff_token_for(business_id, name))
        page.get_by_role("button", name="Use this token").click()
        dashboard = cls(page)
        expect(dashboard.connection).to_have_text("Online")
        return dashboard

    def room(self, text: str) -> Any:
        return self.rooms.filter(has_text=text)

    def open_room(self, text: str) -> None:
        self.room(text).first.click()
        expect(self.page.locator(".conv-header h2")).to_be_visible()

    def send(self, text: str) -> None:
        self.reply.fill(text)
        self.reply.press("Enter")

    def expect_sent(self, text: str) -> None:
        sent = self.messages.locator('.msg[data-state="sent"] .text').filter(has_text=text)
        expect(sent).to_have_count(1, timeout=WAIT_MS)

    def texts(self) -> list[str]:
        return [str(t) for t in self.messages.locator(".msg .text").all_text_contents()]

    def seqs(self) -> list[int]:
        return [
            int(s) for s in self.messages.locator(".msg[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")
        ]
