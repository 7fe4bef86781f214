"""The OpenAPI 3.1 document of the REST API, served at ``/api/openapi.json``.

Request schemas reuse the very dicts the handlers validate with (settings, room changes), and a
schemathesis test drives the live server from this document, so it cannot drift silently; another
test checks that every REST route of ``chatserver.adapters.http.app`` is in it. The webhook API and the
deliveries (OpenAPI 3.1 ``webhooks``) come from ``openapi_webhooks``.
"""

from __future__ import annotations

import json
from typing import Any

from tornado.web import RequestHandler

from chatserver import __version__
from chatserver.adapters.http.dashboard import ROOM_PATCH_SCHEMA
from chatserver.adapters.http.openapi_canned import canned_paths, canned_schemas
from chatserver.adapters.http.openapi_privacy import privacy_paths, privacy_schemas
from chatserver.adapters.http.openapi_schemas import ROOM_STATUSES, SCHEMAS, STRING_OR_NULL, obj, ref
from chatserver.adapters.http.openapi_webhooks import webhook_deliveries, webhook_paths, webhook_schemas


def _errors(*statuses: int) -> dict[str, Any]:
    descriptions = {
        400: "invalid_payload or bad_json",
        401: "auth_invalid: no or a bad bearer token",
        403: "forbidden: not staff of this business",
        404: "not_found",
        409: "limit_reached",
        429: "rate_limited",
    }
    return {
        str(status): {
            "description": descriptions[status],
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for status in statuses
    }


def _ok(schema: dict[str, Any], status: int = 200, description: str = "success") -> dict[str, Any]:
    return {str(status): {"description": description, "content": {"application/json": {"schema": schema}}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


BUSINESS_Q = _query("businessId", {"type": "string", "minLength": 1}, "the business", required=True)
ROOM_PAGE = obj({"rooms": {"type": "array", "items": ref("Room")}, "nextCursor": STRING_OR_NULL})

PATHS: dict[str, Any] = {
    "/api/auth/login": {
        "post": {
            "summary": "Staff login: a JWT for a staff account created with 'chatserver staff add'",
            "security": [],
            "requestBody": _body(
                obj({"email": {"type": "string", "maxLength": 254}, "password": {"type": "string", "maxLength": 1024}})
            ),
            "responses": {
                **_ok(
                    obj(
                        {
                            "token": {"type": "string"},
                            "expiresIn": {"type": "integer"},
                            "staff": obj(
                                {
                                    "_id": {"type": "string"},
                                    "businessId": {"type": "string"},
                                    "email": {"type": "string"},
                                    "name": {"type": "string"},
                                }
                            ),
                        }
                    )
                ),
                **_errors(400, 401, 403, 429),
            },
        }
    },
    "/api/chat/rooms": {
        "get": {
            "summary": "Rooms of a business, most recent activity first, with filters and cursor paging",
            "parameters": [
                BUSINESS_Q,
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                _query("cursor", {"type": "string"}, "nextCursor of the previous page"),
                _query("isGuest", {"type": "string", "enum": ["true", "false"]}),
                _query("status", {"type": "string", "enum": ROOM_STATUSES}),
                _query("tag", {"type": "string", "maxLength": 64}),
                _query("assignedTo", {"type": "string", "maxLength": 128}),
                _query("q", {"type": "string", "maxLength": 100}, "name or email contains, case-insensitive"),
            ],
            "responses": {**_ok(ROOM_PAGE), **_errors(400, 401, 403)},
        }
    },
    "/api/chat/rooms/{roomId}": {
        "parameters": [_path("roomId")],
        "get": {
            "summary": "One room (staff of its business, or its customer)",
            "responses": {**_ok(obj({"room": ref("Room")})), **_errors(401, 403, 404)},
        },
        "patch": {
            "summary": "Staff: close or reopen, assign, set tags",
            "requestBody": _body(ROOM_PATCH_SCHEMA),
            "responses": {**_ok(obj({"room": ref("Room")})), **_errors(400, 401, 403, 404)},
        },
    },
    "/api/chat/rooms/{roomId}/messages": {
        "parameters": [_path("roomId")],
        "get": {
            "summary": "A page of a room's messages, oldest first",
            "parameters": [
                _query("beforeSeq", {"type": "integer", "minimum": 1}),
                _query("afterSeq", {"type": "integer", "minimum": 0}),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
            ],
            "responses": {
                **_ok(
                    obj(
                        {
                            "roomId": {"type": "string"},
                            "messages": {"type": "array", "items": ref("Message")},
                            "hasMore": {"type": "boolean"},
                        }
                    )
                ),
                **_errors(400, 401, 403, 404),
            },
        },
    },
    "/api/chat/rooms/{roomId}/convert-guest": {
        "parameters": [_path("roomId")],
        "post": {
            "summary": "Staff: link a guest conversation to a customer contact (created or merged by email)",
            "requestBody": _body(
                obj(
                    {"email": {"type": "string", "maxLength": 254}, "phone": {"type": ["string", "null"]}},
                    ["email"],
                )
            ),
            "responses": {
                **_ok(obj({"room": ref("Room"), "contact": ref("Contact"), "contactCreated": {"type": "boolean"}})),
                **_errors(400, 401, 403, 404),
            },
        },
    },
    "/api/chat/analytics": {
        "get": {
            "summary": "Conversation analytics of a business over [from, to)",
            "parameters": [
                BUSINESS_Q,
                _query("from", {"type": "string"}, "ISO 8601 or epoch ms; default: 30 days before to"),
                _query("to", {"type": "string"}, "ISO 8601 or epoch ms; default: now"),
                _query(
                    "bucket",
                    {"type": "string", "enum": ["day"]},
                    "day: add `series`, the room counts per UTC day (at most 366 days)",
                ),
            ],
            "responses": {**_ok(ref("Analytics")), **_errors(400, 401, 403)},
        }
    },
    "/api/businesses/{businessId}/faqs": {
        "parameters": [_path("businessId")],
        "get": {
            "summary": "FAQ entries of the business",
            "responses": {**_ok(obj({"faqs": {"type": "array", "items": ref("Faq")}})), **_errors(401, 403, 404)},
        },
        "post": {
            "summary": "Add a FAQ entry",
            "requestBody": _body(ref("FaqInput")),
            "responses": {**_ok(ref("Faq"), 201, "created"), **_errors(400, 401, 403, 404)},
        },
    },
    "/api/businesses/{businessId}/faqs/{faqId}": {
        "parameters": [_path("businessId"), _path("faqId")],
        "get": {"summary": "One FAQ entry", "responses": {**_ok(ref("Faq")), **_errors(401, 403, 404)}},
        "patch": {
            "summary": "Change some fields of a FAQ entry",
            "requestBody": _body(ref("FaqPatch")),
            "responses": {**_ok(ref("Faq")), **_errors(400, 401, 403, 404)},
        },
        "delete": {
            "summary": "Delete a FAQ entry",
            "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404)},
        },
    },
    "/api/businesses/{businessId}/settings": {
        "parameters": [_path("businessId")],
        "get": {
            "summary": "Auto-responses, business hours, FAQ threshold",
            "responses": {**_ok(ref("Settings")), **_errors(401, 403, 404)},
        },
        "put": {
            "summary": "Replace the settings (omitted parts return to their defaults)",
            "requestBody": _body(ref("SettingsInput")),
            "responses": {**_ok(ref("Settings")), **_errors(400, 401, 403, 404)},
        },
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": _ok({"type": "object", "required": ["openapi", "paths"]}),
        }
    },
    "/healthz": {
        "get": {
            "summary": "Liveness",
            "security": [],
            "responses": _ok(obj({"status": {"type": "string", "enum": ["ok"]}, "instance": {"type": "string"}})),
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness: the database and the broker answer and the instance is not draining",
            "security": [],
            "responses": {
                **_ok(ref("Readiness"), description="ready"),
                **_ok(ref("Readiness"), 503, "not ready: see the failing checks"),
            },
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics (text exposition format); for your monitoring only",
            "security": [],
            "responses": {
                "200": {"description": "the metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}
            },
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "chatserver REST API",
            "version": __version__,
            "description": "Dashboard API of chatserver. Realtime events are documented in protocol.md.",
        },
        "paths": {**PATHS, **privacy_paths(), **canned_paths(), **webhook_paths()},
        "webhooks": webhook_deliveries(),
        "components": {
            "schemas": {**SCHEMAS, **privacy_schemas(), **canned_schemas(), **webhook_schemas()},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
    }


class OpenApiHandler(RequestHandler):
    def initialize(self) -> None:
        self._document = json.dumps(openapi_document(), separators=(",", ":"))

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(self._document)
