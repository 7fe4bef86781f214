"""The webhook OpenAPI fragment is merged into the served document: every webhook route is
described, every reference resolves there, every event type has its own payload schema, and
protocol.md §13 shows an example of each type that passes it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from chatserver.adapters.http.openapi import openapi_document
from chatserver.adapters.http.openapi_webhooks import event_schema_name, webhook_deliveries, webhook_paths
from chatserver.protocol.webhook_events import EventType


def test_every_webhook_route_is_described(app):
    routes = {rule.matcher.regex.pattern.rstrip("$") for rule in app.wildcard_router.rules}
    templates = {re.sub(r"\{[^}]+\}", "([^/]+)", path) for path in webhook_paths()}
    webhook_routes = {r for r in routes if r.startswith("/api/webhooks")}
    assert webhook_routes and webhook_routes == templates


def test_the_fragment_is_merged_and_every_reference_resolves():
    document = openapi_document()
    assert set(webhook_paths()) <= set(document["paths"])
    assert document["webhooks"] == webhook_deliveries()
    schemas = document["components"]["schemas"]
    for name in re.findall(r"#/components/schemas/(\w+)", json.dumps(document)):
        assert name in schemas, name


def test_every_event_type_has_its_payload_schema():
    document = openapi_document()
    assert set(document["webhooks"]) == {e.value for e in EventType}
    for event in EventType:
        body = document["webhooks"][event.value]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{event_schema_name(event)}"}
        typed = document["components"]["schemas"][event_schema_name(event)]["allOf"][1]["properties"]
        assert typed["type"] == {"const": event.value}


def test_protocol_md_shows_a_valid_example_of_every_event_type():
    doc = (Path(__file__).resolve().parents[2] / "protocol.md").read_text()
    section = doc[doc.index("## 13. Webhooks") : doc.index("## 14.")]
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]
    examples = [e for e in examples if str(e.get("id", "")).startswith("evt_")]
    assert sorted(e["type"] for e in examples) == sorted(e.value for e in EventType)
    document = openapi_document()
    for example in examples:
        schema = {"$ref": f"#/components/schemas/{event_schema_name(EventType(example['type']))}", **document}
        errors = [error.message for error in Draft202012Validator(schema).iter_errors(example)]
        assert errors == [], (example["type"], errors)
