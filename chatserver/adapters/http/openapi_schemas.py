"""The OpenAPI document's component schemas: the REST API's objects (rooms, messages, FAQs,
analytics, errors), each written once and referenced from the paths in ``openapi.py``."""

from __future__ import annotations

from typing import Any

from chatserver.domain.faq import MAX_ANSWER, MAX_KEYWORD, MAX_KEYWORDS, MAX_QUESTION
from chatserver.domain.models import RoomStatus
from chatserver.domain.pages import MAX_PAGE_VIEWS
from chatserver.domain.ratings import MAX_COMMENT_CHARS, MAX_SCORE, MIN_SCORE, SCORES
from chatserver.protocol import ErrorCode
from chatserver.usecases.automation import SETTINGS_SCHEMA

ROOM_STATUSES = [status.value for status in RoomStatus]

STRING_OR_NULL = {"type": ["string", "null"]}
TIME = {"type": "string", "description": "ISO 8601 UTC with milliseconds"}
TIME_OR_NULL = {"type": ["string", "null"], "description": "ISO 8601 UTC with milliseconds"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    schema["required"] = list(properties) if required is None else required
    return schema


RATING = obj(
    {
        "score": {"type": "integer", "minimum": MIN_SCORE, "maximum": MAX_SCORE},
        "comment": {"type": ["string", "null"], "maxLength": MAX_COMMENT_CHARS},
        "ratedAt": TIME,
    }
)
CSAT = obj(
    {
        "responses": {"type": "integer", "minimum": 0},
        "average": {"type": ["number", "null"], "description": "mean score, 2 decimals; null without ratings"},
        "distribution": obj({str(score): {"type": "integer", "minimum": 0} for score in SCORES}),
    }
)


SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {"type": "string", "enum": [code.value for code in ErrorCode]},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "retryAfterMs": {"type": "integer"},
                },
                ["code", "message"],
            )
        }
    ),
    "Message": obj(
        {
            "_id": {"type": "string"},
            "roomId": {"type": "string"},
            "seq": {"type": "integer", "minimum": 1},
            "senderId": {"type": "string"},
            "senderType": {"type": "string", "enum": ["guest", "customer", "staff", "system"]},
            "senderName": {"type": "string"},
            "isGuest": {"type": "boolean"},
            "content": {"type": "string"},
            "createdAt": TIME,
            "clientMsgId": STRING_OR_NULL,
            "faqId": {"type": "string"},
        },
        ["_id", "roomId", "seq", "senderId", "senderType", "senderName", "isGuest", "content", "createdAt"],
    ),
    "Room": obj(
        {
            "_id": {"type": "string"},
            "businessId": {"type": "string"},
            "roomName": {"type": "string"},
            "metadata": obj(
                {
                    "userType": {"type": "string", "enum": ["guest", "customer"]},
                    "userId": STRING_OR_NULL,
                    "userName": {"type": "string"},
                    "isGuest": {"type": "boolean"},
                    "guestInfo": obj(
                        {
                            "guestId": {"type": "string"},
                            "userAgent": {"type": "string"},
                            "email": STRING_OR_NULL,
                            "phone": STRING_OR_NULL,
                        }
                    ),
                    "customerInfo": obj({"email": STRING_OR_NULL, "phone": STRING_OR_NULL}),
                    "customerId": {"type": "string"},
                    "convertedAt": TIME_OR_NULL,
                    "pageViews": {
                        "type": "array",
                        "maxItems": MAX_PAGE_VIEWS,
                        "items": ref("PageView"),
                        "description": "the newest pages the visitor reported (chat:page-view), newest last",
                    },
                    "locale": {"type": "string", "description": "the visitor's language tag (chat:join-room)"},
                },
                ["userType", "userId", "userName", "isGuest"],
            ),
            "tags": {"type": "array", "items": {"type": "string"}},
            "isActive": {"type": "boolean"},
            "lastMessage": STRING_OR_NULL,
            "lastMessageAt": TIME_OR_NULL,
            "lastSeq": {"type": "integer", "minimum": 0},
            "createdAt": TIME,
            "status": {"type": "string", "enum": ROOM_STATUSES},
            "closedAt": TIME_OR_NULL,
            "assignedTo": STRING_OR_NULL,
            "unreadCount": {"type": "integer", "minimum": 0, "description": "messages staff have not read"},
            "visitorUnreadCount": {"type": "integer", "minimum": 0},
            "readSeq": obj({"staff": {"type": "integer"}, "visitor": {"type": "integer"}}),
            "rating": {
                "anyOf": [ref("Rating"), {"type": "null"}],
                "description": "the visitor's rating of the current closure (chat:rate); null when open or unrated",
            },
        }
    ),
    "Faq": obj(
        {
            "_id": {"type": "string"},
            "businessId": {"type": "string"},
            "question": {"type": "string"},
            "answer": {"type": "string"},
            "keywords": {"type": "array", "items": {"type": "string"}},
            "enabled": {"type": "boolean"},
            "createdAt": TIME,
            "updatedAt": TIME,
        }
    ),
    "FaqInput": {
        "type": "object",
        "required": ["question", "answer"],
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION, "pattern": r"\S"},
            "answer": {"type": "string", "minLength": 1, "maxLength": MAX_ANSWER, "pattern": r"\S"},
            "keywords": {
                "type": "array",
                "maxItems": MAX_KEYWORDS,
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_KEYWORD, "pattern": r"\S"},
            },
            "enabled": {"type": "boolean"},
        },
    },
    "FaqPatch": {
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION, "pattern": r"\S"},
            "answer": {"type": "string", "minLength": 1, "maxLength": MAX_ANSWER, "pattern": r"\S"},
            "keywords": {
                "type": "array",
                "maxItems": MAX_KEYWORDS,
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_KEYWORD, "pattern": r"\S"},
            },
            "enabled": {"type": "boolean"},
        },
    },
    "SettingsInput": SETTINGS_SCHEMA,
    "Settings": obj(
        {
            "greeting": ref("AutoResponse"),
            "away": ref("AutoResponse"),
            "leadCapture": ref("AutoResponse"),
            "businessHours": {
                "oneOf": [
                    {"type": "null"},
                    obj({"timezone": {"type": "string"}, "weekly": {"type": "object"}}),
                ]
            },
            "faqThreshold": {"type": ["number", "null"]},
            "guestRetentionDays": {"type": ["integer", "null"], "minimum": 1},
            "keepPageQuery": {
                "type": "boolean",
                "description": "page views keep their URL's query string and fragment (default false)",
            },
        }
    ),
    "PageView": obj(
        {
            "url": {"type": "string", "format": "uri", "description": "absolute http(s) URL"},
            "title": STRING_OR_NULL,
            "at": TIME,
        }
    ),
    "Rating": RATING,
    "Readiness": obj(
        {
            "status": {"type": "string", "enum": ["ready", "unavailable"]},
            "instance": {"type": "string"},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    ),
    "AutoResponse": obj(
        {
            "enabled": {"type": "boolean"},
            "message": {"type": "string"},
            "messages": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "the message by language tag (lower case), when the business wrote any",
            },
        },
        ["enabled", "message"],
    ),
    "Contact": obj(
        {
            "_id": {"type": "string"},
            "businessId": {"type": "string"},
            "email": {"type": "string"},
            "phone": STRING_OR_NULL,
            "name": STRING_OR_NULL,
            "createdAt": TIME,
            "updatedAt": TIME,
        }
    ),
    "Analytics": obj(
        {
            "businessId": {"type": "string"},
            "from": TIME,
            "to": TIME,
            "guestRooms": {"type": "integer"},
            "guestRoomsWithEmail": {"type": "integer"},
            "emailCaptureRate": {"type": "number"},
            "converted": {"type": "integer"},
            "conversionRate": {"type": "number"},
            "authenticatedRooms": {"type": "integer"},
            "messagesBySenderType": obj({k: {"type": "integer"} for k in ("guest", "customer", "staff", "system")}),
            "faqAnswers": {"type": "integer"},
            "roomsWithStaffReply": {"type": "integer"},
            "medianFirstResponseMs": {"type": ["integer", "null"]},
            "csat": {**CSAT, "description": "satisfaction ratings given in the window (by their rated time)"},
            "series": {
                "type": "array",
                "description": "with bucket=day: room counts per UTC day of creation, every day of the window",
                "items": obj(
                    {
                        "date": {"type": "string", "format": "date"},
                        "guestRooms": {"type": "integer"},
                        "guestRoomsWithEmail": {"type": "integer"},
                        "converted": {"type": "integer"},
                        "conversionRate": {"type": "number"},
                        "authenticatedRooms": {"type": "integer"},
                    }
                ),
            },
        },
        [
            "businessId",
            "from",
            "to",
            "guestRooms",
            "guestRoomsWithEmail",
            "emailCaptureRate",
            "converted",
            "conversionRate",
            "authenticatedRooms",
            "messagesBySenderType",
            "faqAnswers",
            "roomsWithStaffReply",
            "medianFirstResponseMs",
            "csat",
        ],
    ),
}
