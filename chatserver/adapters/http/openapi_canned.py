"""The canned-response operations of the OpenAPI document (issue 17), merged into ``openapi.py``'s."""

from __future__ import annotations

from typing import Any

from chatserver.adapters.http.openapi_schemas import TIME, obj, ref
from chatserver.domain.canned import MAX_CONTENT, SHORT_CODE_PATTERN

ERRORS = {
    "400": "invalid_payload: a field is missing or malformed (`field` names it); a shortCode another "
    "canned response of the business has, in any case (`field`: shortCode)",
    "401": "auth_invalid: no or a bad bearer token",
    "403": "forbidden: not staff of this business",
    "404": "not_found: no such business or canned response",
    "409": "limit_reached: the business keeps the most canned responses it may",
}


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {"description": ERRORS[str(status)], "content": {"application/json": {"schema": ref("Error")}}}
        for status in statuses
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def canned_paths() -> dict[str, Any]:
    many = obj({"cannedResponses": {"type": "array", "items": ref("CannedResponse")}})
    return {
        "/api/businesses/{businessId}/canned-responses": {
            "parameters": [_path("businessId")],
            "get": {
                "summary": "Staff: the business's canned responses, by short code",
                "responses": {"200": _json(many, "the list"), **_errors(401, 403, 404)},
            },
            "post": {
                "summary": "Staff: add a canned response",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("CannedInput")}}},
                "responses": {"201": _json(ref("CannedResponse"), "created"), **_errors(400, 401, 403, 404, 409)},
            },
        },
        "/api/businesses/{businessId}/canned-responses/{cannedId}": {
            "parameters": [_path("businessId"), _path("cannedId")],
            "get": {
                "summary": "Staff: one canned response",
                "responses": {"200": _json(ref("CannedResponse"), "the response"), **_errors(401, 403, 404)},
            },
            "patch": {
                "summary": "Staff: change a canned response's short code, text or both",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("CannedPatch")}}},
                "responses": {"200": _json(ref("CannedResponse"), "changed"), **_errors(400, 401, 403, 404)},
            },
            "delete": {
                "summary": "Staff: delete a canned response",
                "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404)},
            },
        },
    }


def canned_schemas() -> dict[str, Any]:
    code = {"type": "string", "pattern": SHORT_CODE_PATTERN, "description": "typed after '/' in the reply box"}
    text = {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_CONTENT,
        "pattern": r"\S",
        "description": "may hold {{visitor.name}}, {{visitor.email}} and {{staff.name}}, filled when inserted",
    }
    return {
        "CannedResponse": obj(
            {
                "_id": {"type": "string"},
                "businessId": {"type": "string"},
                "shortCode": {"type": "string"},
                "content": {"type": "string"},
                "createdAt": TIME,
                "updatedAt": TIME,
            }
        ),
        "CannedInput": {
            "type": "object",
            "required": ["shortCode", "content"],
            "properties": {"shortCode": code, "content": text},
        },
        "CannedPatch": {"type": "object", "minProperties": 1, "properties": {"shortCode": code, "content": text}},
    }
