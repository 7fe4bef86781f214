"""OpenAPI 3.1 description of the webhook API: the REST endpoints (``paths``), their schemas
(``components.schemas``) and the outgoing deliveries (OpenAPI 3.1's top-level ``webhooks``).

A fragment of the service's OpenAPI document (``chatserver.adapters.http.openapi``, served at
``/api/openapi.json``), which merges it: ``paths``, ``components.schemas`` and ``webhooks``. It refers
to the document's shared schemas (``Error``, ``Room``, ``Message``, ``Contact``).
"""

from __future__ import annotations

from typing import Any

from chatserver.protocol.webhook_events import ALL_EVENTS, EventType


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "invalid_payload"),
    "401": _json(_ref("Error"), "auth_invalid: no or bad bearer token"),
    "403": _json(_ref("Error"), "forbidden: not staff of the webhook's business"),
    "404": _json(_ref("Error"), "not_found"),
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
WEBHOOK_ID = {"name": "webhookId", "in": "path", "required": True, "schema": {"type": "string"}}


def webhook_paths() -> dict[str, Any]:
    return {
        "/api/webhooks": {
            "get": {
                "summary": "List a business's webhooks with delivery counts",
                "security": SECURITY,
                "parameters": [{"name": "businessId", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"webhooks": {"type": "array", "items": _ref("Webhook")}}},
                        "the webhooks, oldest first (no secrets)",
                    ),
                    **ERRORS,
                },
            },
            "post": {
                "summary": "Register a webhook; the reply is the only time its secret is shown",
                "security": SECURITY,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewWebhook")}}},
                "responses": {
                    "201": _json(
                        {"type": "object", "properties": {"webhook": _ref("CreatedWebhook")}}, "the new webhook"
                    ),
                    "409": _json(_ref("Error"), "limit_reached: 20 webhooks per business"),
                    **ERRORS,
                    "400": _json(
                        _ref("Error"),
                        "invalid_payload; field url: not an absolute http(s) URL, or its host is not (or does "
                        "not resolve only to) public internet addresses, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS",
                    ),
                },
            },
        },
        "/api/webhooks/{webhookId}": {
            "delete": {
                "summary": "Delete a webhook and its delivery records",
                "security": SECURITY,
                "parameters": [WEBHOOK_ID],
                "responses": {"204": {"description": "deleted"}, **ERRORS},
            }
        },
        "/api/webhooks/{webhookId}/deliveries": {
            "get": {
                "summary": "Deliveries of a webhook, newest first",
                "security": SECURITY,
                "parameters": [
                    WEBHOOK_ID,
                    {"name": "status", "in": "query", "schema": {"enum": ["pending", "delivered", "failed"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "deliveries": {"type": "array", "items": _ref("Delivery")},
                                "nextCursor": {"type": ["string", "null"]},
                            },
                        },
                        "a page of deliveries",
                    ),
                    **ERRORS,
                },
            }
        },
        "/api/webhooks/{webhookId}/replay": {
            "post": {
                "summary": "Send finished deliveries again: one (deliveryId) or all with a status",
                "security": SECURITY,
                "parameters": [WEBHOOK_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "deliveryId": {"type": "string"},
                                    "status": {"enum": ["failed", "delivered"]},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"replayed": {"type": "integer"}}}, "how many were queued"
                    ),
                    **ERRORS,
                },
            }
        },
    }


def webhook_schemas() -> dict[str, Any]:
    event_types = [e.value for e in EventType]
    webhook_props = {
        "_id": {"type": "string"},
        "businessId": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "events": {"type": "array", "items": {"enum": [*event_types, ALL_EVENTS]}},
        "createdAt": {"type": "string", "format": "date-time"},
        "createdBy": {"type": "string"},
    }
    delivery_props = {
        "_id": {"type": "string"},
        "webhookId": {"type": "string"},
        "eventId": {"type": "string"},
        "eventType": {"enum": event_types},
        "status": {"enum": ["pending", "delivered", "failed"]},
        "attempts": {"type": "integer"},
        "nextAttemptAt": {"type": ["string", "null"], "format": "date-time"},
        "lastStatus": {"type": ["integer", "null"]},
        "lastError": {
            "type": ["string", "null"],
            "description": "HTTP <status>, timed out, or could not connect (no socket-level detail)",
        },
        "createdAt": {"type": "string", "format": "date-time"},
        "deliveredAt": {"type": ["string", "null"], "format": "date-time"},
    }
    return {
        "NewWebhook": {
            "type": "object",
            "required": ["businessId", "url"],
            "properties": {
                "businessId": {"type": "string"},
                "url": {"type": "string", "format": "uri", "maxLength": 2048},
                "events": {"type": "array", "items": {"enum": [*event_types, ALL_EVENTS]}, "default": [ALL_EVENTS]},
            },
        },
        "Webhook": {
            "type": "object",
            "required": [*webhook_props, "deliveries"],
            "properties": {
                **webhook_props,
                "deliveries": {
                    "type": "object",
                    "required": ["pending", "delivered", "failed"],
                    "properties": {s: {"type": "integer"} for s in ("pending", "delivered", "failed")},
                },
            },
        },
        "CreatedWebhook": {
            "type": "object",
            "required": [*webhook_props, "secret"],
            "properties": {**webhook_props, "secret": {"type": "string", "description": "HMAC key, whsec_…"}},
        },
        "Delivery": {
            "type": "object",
            "required": list(delivery_props),
            "properties": delivery_props,
        },
        "WebhookEvent": {
            "type": "object",
            "required": ["id", "type", "createdAt", "businessId", "data"],
            "properties": {
                "id": {"type": "string", "description": "evt_…; deduplicate by it"},
                "type": {"enum": event_types},
                "createdAt": {"type": "string", "format": "date-time"},
                "businessId": {"type": "string"},
                "data": {"type": "object", "description": "per type: see protocol.md §13"},
            },
        },
        **event_schemas(),
    }


def event_schema_name(event: EventType) -> str:
    """``room.closed`` → ``RoomClosedEvent``."""
    return "".join(part.capitalize() for part in event.value.split(".")) + "Event"


def _data(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def event_schemas() -> dict[str, Any]:
    """One schema per event type: the envelope (``WebhookEvent``) with that type's ``data``
    (protocol.md §13)."""
    room = {"room": _ref("Room")}
    actor = {
        "type": "object",
        "required": ["userId", "userType"],
        "properties": {"userId": {"type": "string"}, "userType": {"const": "staff"}, "name": {"type": "string"}},
    }
    ids = {"type": "array", "items": {"type": "string"}}
    erased = {"roomIds": ids, "guestIds": ids}  # ids only: what they named is gone
    data = {
        EventType.ROOM_CREATED: _data(room),
        EventType.MESSAGE_CREATED: _data({"message": _ref("Message")}),
        EventType.GUEST_UPDATED: _data(room),
        EventType.GUEST_CONVERTED: _data(
            {**room, "guestId": {"type": "string"}, "customerId": {"type": "string"}, "contact": _ref("Contact")}
        ),
        EventType.ROOM_CLOSED: _data({**room, "closedBy": actor}),
        EventType.ROOM_RATED: _data({**room, "rating": _ref("Rating")}),
        EventType.GUEST_ERASED: _data({"guestId": {"type": "string"}, **erased}),
        EventType.CUSTOMER_ERASED: _data({"customerId": {"type": "string"}, **erased}),
    }
    return {
        event_schema_name(event): {
            "allOf": [
                _ref("WebhookEvent"),
                {"type": "object", "properties": {"type": {"const": event.value}, "data": data[event]}},
            ]
        }
        for event in EventType
    }


def webhook_deliveries() -> dict[str, Any]:
    """OpenAPI 3.1 ``webhooks``: what the server POSTs to registered URLs."""
    signature = {
        "name": "X-Chatserver-Signature",
        "in": "header",
        "required": True,
        "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + raw body, keyed by the secret>",
        "schema": {"type": "string"},
    }
    headers = [
        signature,
        {"name": "X-Chatserver-Event", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "X-Chatserver-Event-Id", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "X-Chatserver-Delivery", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "X-Chatserver-Attempt", "in": "header", "required": True, "schema": {"type": "string"}},
    ]
    return {
        event.value: {
            "post": {
                "summary": f"{event.value} (at-least-once; retried with backoff for 24 h until a 2xx)",
                "parameters": headers,
                "requestBody": {"content": {"application/json": {"schema": _ref(event_schema_name(event))}}},
                "responses": {"2XX": {"description": "received; any other answer (or none in time) is retried"}},
            }
        }
        for event in EventType
    }
