"""The webhook OpenAPI fragment covers every webhook route and every reference resolves."""

from __future__ import annotations

import json
import re

from chatserver.http.openapi_webhooks import webhook_deliveries, webhook_paths, webhook_schemas
from chatserver.webhooks.events import EventType


def test_every_webhook_route_is_described(app):
    routes = {rule.matcher.regex.pattern.rstrip("$") for rule in app.wildcard_router.rules}
    templates = {re.sub(r"\{[^}]+\}", "([^/]+)", path) for path in webhook_paths()}
    webhook_routes = {r for r in routes if r.startswith("/api/webhooks")}
    assert webhook_routes and webhook_routes == templates


def test_references_resolve_and_every_event_is_described():
    schemas = webhook_schemas()
    text = json.dumps({"paths": webhook_paths(), "webhooks": webhook_deliveries()})
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in schemas
    assert set(webhook_deliveries()) == {e.value for e in EventType}
