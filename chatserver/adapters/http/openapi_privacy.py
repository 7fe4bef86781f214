"""The data-subject operations of the OpenAPI document (issue 16): the guest and customer exports
and erasures, and the ``SubjectExport`` schema, merged into ``openapi.py``'s document. The schema follows
``chatserver.protocol.privacy_export`` field for field; the conformance test validates live
exports against it."""

from __future__ import annotations

from typing import Any

from chatserver.adapters.http.openapi_schemas import STRING_OR_NULL, TIME, TIME_OR_NULL, obj, ref
from chatserver.domain.privacy import MAX_CUSTOMER_ID, MAX_GUEST_ID, SubjectKind
from chatserver.protocol.privacy_export import EXPORT_FORMAT

ERRORS = {
    "400": "invalid_payload: an id no visitor can have (empty, too long, control characters)",
    "401": "auth_invalid: no or a bad bearer token",
    "403": "forbidden: not staff of this business",
    "404": "not_found: nothing stored about this visitor in this business (whether or not they exist elsewhere, "
    "or were erased already)",
}


def _param(name: str, longest: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1}
    if longest is not None:
        schema["maxLength"] = longest
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _export(kind: SubjectKind, field: str, longest: int) -> dict[str, Any]:
    return {
        "parameters": [_param("businessId"), _param(field, longest)],
        "get": {
            "summary": f"Staff: everything the business stores about one {kind.value} (data-subject access request)",
            "responses": {
                "200": {
                    "description": "the export",
                    "content": {"application/json": {"schema": ref("SubjectExport")}},
                },
                **{
                    status: {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
                    for status, text in ERRORS.items()
                },
            },
        },
    }


def _erase(kind: SubjectKind, field: str, longest: int) -> dict[str, Any]:
    what = "their rooms, messages and sessions, and contacts nothing else links to"
    return {
        "parameters": [_param("businessId"), _param(field, longest)],
        "delete": {
            "summary": f"Staff: erase everything the business stores about one {kind.value} ({what})",
            "description": (
                f"Their open connections close (4410) on every instance, staff get chat:room-deleted, "
                f"a {kind.value}.erased webhook event carries the ids. A repeat is 404: nothing is kept."
            ),
            "responses": {
                "204": {"description": "erased"},
                **{
                    status: {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
                    for status, text in ERRORS.items()
                },
            },
        },
    }


def privacy_paths() -> dict[str, Any]:
    guest, customer = SubjectKind.GUEST, SubjectKind.CUSTOMER
    return {
        "/api/businesses/{businessId}/guests/{guestId}/export": _export(guest, "guestId", MAX_GUEST_ID),
        "/api/businesses/{businessId}/customers/{customerId}/export": _export(customer, "customerId", MAX_CUSTOMER_ID),
        "/api/businesses/{businessId}/guests/{guestId}": _erase(guest, "guestId", MAX_GUEST_ID),
        "/api/businesses/{businessId}/customers/{customerId}": _erase(customer, "customerId", MAX_CUSTOMER_ID),
    }


def privacy_schemas() -> dict[str, Any]:
    delivery = obj(
        {
            "_id": {"type": "string"},
            "webhookId": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
            "attempts": {"type": "integer", "minimum": 0},
            "createdAt": TIME,
            "deliveredAt": TIME_OR_NULL,
        }
    )
    event = obj(
        {
            "_id": {"type": "string"},
            "type": {"type": "string"},
            "createdAt": TIME,
            "dispatchedAt": TIME_OR_NULL,
            "deliveries": {"type": "array", "items": delivery},
        }
    )
    session = obj(
        {
            "guestId": {"type": "string"},
            "userAgent": {"type": "string", "description": "a label such as 'Firefox 131 on Windows'"},
            "createdAt": TIME,
            "lastSeenAt": TIME,
            "expired": {"type": "boolean"},
        }
    )
    export = obj(
        {
            "format": {"type": "integer", "enum": [EXPORT_FORMAT]},
            "exportedAt": TIME,
            "businessId": {"type": "string"},
            "subject": obj(
                {"type": {"type": "string", "enum": [kind.value for kind in SubjectKind]}, "id": {"type": "string"}}
            ),
            "guestSessions": {"type": "array", "items": session},
            "rooms": {"type": "array", "items": ref("Room")},
            "messages": {"type": "array", "items": ref("Message")},
            "contacts": {"type": "array", "items": ref("Contact")},
            "ratings": {
                "type": "array",
                "description": "every closure's satisfaction rating (chat:rate), by room and closure",
                "items": obj(
                    {
                        "roomId": {"type": "string"},
                        "score": {"type": "integer", "minimum": 1, "maximum": 5},
                        "comment": STRING_OR_NULL,
                        "closedAt": TIME,
                        "ratedAt": TIME,
                    }
                ),
            },
            "webhookEvents": {"type": "array", "items": event},
        }
    )
    export["description"] = "Everything one business stores about one visitor (protocol.md §10)"
    return {"SubjectExport": export}
