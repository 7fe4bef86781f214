"""The OpenAPI document covers the REST API exactly: every REST route of the tornado application
(with the HTTP methods its handler implements) is a documented operation, and every documented
operation is served. Only what is not REST is left out, each for a stated reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tornado.web import RequestHandler

from chatserver.adapters.http.openapi import openapi_document

NOT_REST = {
    r"/realtime": "the WebSocket endpoint, documented in protocol.md",
    r"/api/.*": "the catch-all answering not_found for unknown API paths",
    r"/widget\.js": "browser code",
    r"/dashboard": "browser code (redirect to /dashboard/)",
    r"/dashboard/lib/(.*)": "browser code",
    r"/dashboard/(.*)": "browser code",
    r"/demo/?": "browser code",
}
METHODS = ("get", "post", "put", "patch", "delete")


def served_operations(app: Any) -> dict[str, set[str]]:
    """Route pattern → the methods its handler implements (not inherited from RequestHandler)."""
    served: dict[str, set[str]] = {}
    for rule in app.wildcard_router.rules:
        pattern = rule.matcher.regex.pattern.removesuffix("$")
        if pattern in NOT_REST:
            continue
        handler = rule.target
        served[pattern] = {m for m in METHODS if getattr(handler, m) is not getattr(RequestHandler, m)}
    return served


def documented_operations() -> dict[str, set[str]]:
    """Documented path, written as the app's route pattern for it (``{id}`` → ``([^/]+)``) → its
    operations."""
    return {
        re.sub(r"\{[^}]+\}", "([^/]+)", path): {method for method in item if method in METHODS}
        for path, item in openapi_document()["paths"].items()
    }


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_rest_route_is_documented_with_its_methods(app):
    served = served_operations(app)
    documented = documented_operations()
    assert sorted(set(served) - set(documented)) == [], "routes missing from the OpenAPI document"
    assert sorted(set(documented) - set(served)) == [], "documented paths no route serves"
    assert {p: m for p, m in served.items() if m != documented[p]} == {}, "methods differ"
    assert {p for p in documented if p.startswith("/api/webhooks")} == {
        "/api/webhooks",
        "/api/webhooks/([^/]+)",
        "/api/webhooks/([^/]+)/deliveries",
        "/api/webhooks/([^/]+)/replay",
    }


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_exclusions_are_real_routes(app):
    """A renamed static or WebSocket route must not silently drop out of the check above."""
    patterns = {rule.matcher.regex.pattern.removesuffix("$") for rule in app.wildcard_router.rules}
    assert set(NOT_REST) <= patterns
