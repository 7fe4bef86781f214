"""The browser code the server ships: routes, headers, the demo page, and what the package holds."""

from __future__ import annotations

import configparser
import fnmatch
import re
from pathlib import Path

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from chatserver.adapters.http.static import WEB_ROOT

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def backend() -> str:
    return "sqlite"  # these tests read files, not the database


async def fetch(url: str, **kwargs):
    try:
        return await AsyncHTTPClient().fetch(url, follow_redirects=False, **kwargs)
    except HTTPClientError as err:
        return err.response


async def test_widget_js_is_one_script_that_defines_no_global(base_url):
    response = await fetch(f"{base_url}/widget.js")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    body = response.body.decode()
    assert body.startswith("(function () {\n'use strict';") and body.rstrip().endswith("})();")
    for part in ("class ChatConnection", "class RoomSync", "class ChatWidget", "const WIDGET_CSS"):
        assert part in body
    again = await fetch(f"{base_url}/widget.js", headers={"If-None-Match": response.headers["Etag"]})
    assert again.code == 304


async def test_dashboard_is_served_with_a_strict_content_security_policy(base_url):
    redirect = await fetch(f"{base_url}/dashboard")
    assert redirect.code in (301, 302) and redirect.headers["Location"] == "/dashboard/"
    page = await fetch(f"{base_url}/dashboard/")
    assert page.code == 200 and b"<title>Support dashboard" in page.body
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    for path in ("lib/connection.js", "lib/room.js", "app.js", "conversation.js", "dashboard.css"):
        assert (await fetch(f"{base_url}/dashboard/{path}")).code == 200, path
    assert (await fetch(f"{base_url}/dashboard/../config.py")).code in (403, 404)


async def test_demo_embeds_the_widget_for_the_business_asked_for(base_url, business):
    page = (await fetch(f"{base_url}/demo?businessId={business}")).body.decode()
    assert f'<script src="/widget.js" data-business-id="{business}" async></script>' in page
    assert f"{base_url}/widget.js" in page  # the snippet to copy, with this server's address
    assert '<form class="chooser" method="get" action="/demo" hidden>' in page


async def test_demo_without_a_business_explains_how_to_get_one(base_url):
    page = (await fetch(f"{base_url}/demo")).body.decode()
    assert "chatserver business add" in page and 'data-business-id=""' not in page
    assert '<script src="/widget.js"' not in page


async def test_demo_refuses_a_business_id_that_is_not_an_id(base_url):
    response = await fetch(f"{base_url}/demo?businessId=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.code == 400
    assert b"<script>alert(1)" not in response.body


@pytest.mark.parametrize("overrides", [{"demo_business_id": "acme-demo"}])
async def test_demo_business_can_be_configured(base_url, overrides):
    page = (await fetch(f"{base_url}/demo")).body.decode()
    assert 'data-business-id="acme-demo"' in page


def web_files() -> list[Path]:
    """The browser code: every file in web/ but the package's own Python module."""
    return sorted(
        p
        for p in WEB_ROOT.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    )


def test_the_web_pages_are_found_through_the_package_in_this_checkout():
    """The editable install maps ``chatserver.web`` to the top-level web/, so edits show at once."""
    assert WEB_ROOT.resolve() == (ROOT / "web").resolve()
    assert not (ROOT / "chatserver" / "web").exists(), "the browser code moved to web/"


def test_every_web_file_ships_in_the_package():
    """setup.cfg maps web/ to chatserver.web, lists each of its directories as a package and each
    file as package data of its directory's package."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    package_dir = dict(
        (part.strip() for part in line.split("=", 1)) for line in config["options"]["package_dir"].strip().splitlines()
    )
    assert package_dir.get("chatserver.web") == "web"
    packages = config["options"]["packages"].split()
    package_data = config["options.package_data"]
    for path in web_files():
        relative = path.relative_to(WEB_ROOT)
        package = ".".join(("chatserver", "web", *relative.parent.parts))
        assert package in packages, f"{package} (web/{relative.parent.as_posix()}) is not a package in setup.cfg"
        patterns = [p.strip() for p in package_data.get(package, "").split(",") if p.strip()]
        assert any(fnmatch.fnmatch(relative.name, p) for p in patterns), (
            f"web/{relative.as_posix()} is not package data"
        )


def test_no_browser_code_turns_text_into_html():
    """Message text must only ever be set as text (protocol.md §5): no HTML-parsing sink anywhere."""
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    for path in web_files():
        if path.suffix == ".js":
            assert not sinks.search(path.read_text()), path


@pytest.mark.parametrize("overrides", [{"allowed_origins": ("https://shop.example",)}])
async def test_the_servers_own_pages_may_connect_whatever_allowed_origins_says(ws_url, base_url, overrides):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    host = base_url.removeprefix("http://")
    for origin in (f"http://{host}", "https://shop.example"):
        conn = await websocket_connect(HTTPRequest(ws_url, headers={"Origin": origin}))
        first = await conn.read_message()
        assert '"guest:registered"' in first
        conn.close()
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(HTTPRequest(ws_url, headers={"Origin": "https://elsewhere.example"}))
    assert refused.value.code == 403
