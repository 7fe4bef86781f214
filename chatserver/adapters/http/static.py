"""The browser code the server ships: ``/widget.js``, the staff dashboard and the ``/demo`` host page.

The files live in ``web/`` at the top of the repository, which setup.cfg maps into the package as
``chatserver.web`` (package data, so they install with the package); they are found through that
package, in a checkout (editable install) and in an installed wheel alike. The widget is one
script for host pages: the shared protocol client (``web/lib``) and the widget's own code and
stylesheet are joined into one IIFE when the application is built — plain concatenation, no
bundler, no build step for anyone. The dashboard loads the same ``web/lib`` files as they are.
"""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from tornado.web import HTTPError, RedirectHandler, RequestHandler, StaticFileHandler


def web_root() -> Path:
    """The directory of the package ``chatserver.web``: ``web/`` in a checkout, ``chatserver/web``
    when installed. Tornado serves files from a directory, so it must be one on disk."""
    try:
        root = files("chatserver.web")
    except ModuleNotFoundError as err:
        raise RuntimeError("chatserver.web (web/) is not importable: install chatserver (scripts/install)") from err
    if not isinstance(root, Path) or not root.is_dir():
        raise RuntimeError(f"chatserver.web is not a directory on disk: {root}")
    return root


WEB_ROOT = web_root()

# order matters: each file may use what the files before it define
WIDGET_PARTS = (
    "lib/dom.js",
    "lib/connection.js",
    "lib/room.js",
    "widget/i18n.js",
    "widget/capture.js",
    "widget/pages.js",
    "widget/presence.js",
    "widget/rating.js",
    "widget/widget.js",
    "widget/embed.js",
)
WIDGET_CSS = "widget/widget.css"

BUSINESS_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def widget_bundle(root: Path = WEB_ROOT) -> bytes:
    """The widget as one script that defines no global name."""
    css = (root / WIDGET_CSS).read_text(encoding="utf-8")
    parts = [f"/* {name} */\n{(root / name).read_text(encoding='utf-8')}" for name in WIDGET_PARTS]
    body = "\n".join(parts)
    return f"(function () {{\n'use strict';\nconst WIDGET_CSS = {json.dumps(css)};\n{body}\n}})();\n".encode()


def content_security_policy(host: str, *, inline_styles: bool) -> str:
    """Only our own scripts, and WebSockets only to this server: an XSS that slipped past
    ``textContent`` would still have nothing to load and nowhere to send."""
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


def embed_tag(src: str, business_id: str) -> str:
    """The one tag a host page needs."""
    return f'<script src="{src}" data-business-id="{business_id}" async></script>'


class WidgetHandler(RequestHandler):
    """``/widget.js``. Tornado's ETag makes repeat loads a 304."""

    def initialize(self, bundle: bytes) -> None:
        self.bundle = bundle

    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=300")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.write(self.bundle)

    def head(self) -> None:
        self.get()


class DashboardFileHandler(StaticFileHandler):
    """The dashboard's files, with a strict CSP and no framing (it holds a staff token)."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Content-Security-Policy", content_security_policy(self.request.host, inline_styles=False))
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-cache")


class DemoHandler(RequestHandler):
    """``/demo?businessId=...``: a sample shop page that embeds the widget with its one tag."""

    def initialize(self, page: str, default_business_id: str) -> None:
        self.page = page
        self.default_business_id = default_business_id

    def get(self) -> None:
        business_id = self.get_query_argument("businessId", "").strip() or self.default_business_id
        if business_id and not BUSINESS_ID.match(business_id):
            raise HTTPError(400, "businessId must be 1-64 letters, digits, '-' or '_'")
        origin = f"{self.request.protocol}://{self.request.host}"
        snippet = embed_tag(f"{origin}/widget.js", business_id or "BUSINESS_ID")
        embed = embed_tag("/widget.js", business_id) if business_id else ""
        values = {
            "business_id": html.escape(business_id),
            "snippet": html.escape(snippet),
            "embed": embed,  # business_id matched BUSINESS_ID: nothing in it needs escaping
            "chooser_hidden": "hidden" if business_id else "",
        }
        body = self.page
        for key, value in values.items():
            body = body.replace("{{" + key + "}}", value)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", content_security_policy(self.request.host, inline_styles=True))
        self.set_header("Cache-Control", "no-cache")
        self.finish(body)


def static_routes(demo_business_id: str, root: Path = WEB_ROOT) -> list[tuple[str, type[RequestHandler], Any]]:
    """The routes serving browser code; files are read once, here."""
    demo_page = (root / "demo" / "index.html").read_text(encoding="utf-8")
    return [
        (r"/widget\.js", WidgetHandler, {"bundle": widget_bundle(root)}),
        (r"/dashboard", RedirectHandler, {"url": "/dashboard/"}),
        (r"/dashboard/lib/(.*)", DashboardFileHandler, {"path": str(root / "lib")}),
        (r"/dashboard/(.*)", DashboardFileHandler, {"path": str(root / "dashboard"), "default_filename": "index.html"}),
        (r"/demo/?", DemoHandler, {"page": demo_page, "default_business_id": demo_business_id}),
    ]
