"""Per-business auto-responses (greeting, away, lead capture) and FAQ answers to visitor messages.

Each is a system message stored in the room with its own ``seq``. Once-per-room is enforced by
the database, not by memory: every auto-response is stored with sender ``system:<kind>`` and
``clientMsgId`` ``<kind>``, so the unique index on ``(room, sender, clientMsgId)`` refuses a
second one, across retries, races and instances. An FAQ answer's ``clientMsgId`` is
``faq:<id of the visitor message>``. Only guest and customer messages trigger automation, so
system messages can never trigger each other (no loops).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match as schema_best_match

from chatserver.domain.business import DAYS, AutoResponse, BusinessHours, BusinessSettings, Faq
from chatserver.domain.clock import Clock
from chatserver.domain.faq import best_match
from chatserver.domain.locales import MAX_LOCALE, normalize_locale
from chatserver.domain.models import Message, NewMessage, Principal, Room, SenderType
from chatserver.domain.privacy import MAX_RETENTION_DAYS
from chatserver.ports.business_store import FaqStore, SettingsStore
from chatserver.ports.presence import Presence
from chatserver.ports.store import AppendResult, BusinessStore
from chatserver.protocol import ChatError, ErrorCode

log = logging.getLogger("chatserver.autoresponse")

GREETING, AWAY, LEAD_CAPTURE, FAQ = "greeting", "away", "lead-capture", "faq"

_TIME = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"}
MAX_TRANSLATIONS = 40  # languages per auto-response
_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}
_RESPONSE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "message": _TEXT,
        # the message in other languages, by locale tag: the visitor's (chat:join-room's locale) wins
        "messages": {
            "type": "object",
            "maxProperties": MAX_TRANSLATIONS,
            "propertyNames": {"minLength": 2, "maxLength": MAX_LOCALE},
            "additionalProperties": _TEXT,
        },
    },
}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "greeting": _RESPONSE,
        "away": _RESPONSE,
        "leadCapture": _RESPONSE,
        "businessHours": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["timezone", "weekly"],
            "properties": {
                "timezone": {"type": "string", "minLength": 1, "maxLength": 64},
                "weekly": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        day: {
                            "type": "array",
                            "maxItems": 8,
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["open", "close"],
                                "properties": {"open": _TIME, "close": _TIME},
                            },
                        }
                        for day in DAYS
                    },
                },
            },
        },
        "faqThreshold": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
        "guestRetentionDays": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_RETENTION_DAYS},
        "keepPageQuery": {"type": "boolean"},
    },
}
_VALIDATOR = Draft202012Validator(SETTINGS_SCHEMA)

DEFAULT_MESSAGES = {
    "greeting": "Hi! Thanks for reaching out. How can we help?",
    "away": "We are away right now. Leave a message and we will get back to you.",
    "leadCapture": "Would you like to leave your email so we can follow up?",
}


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def parse_settings(data: Any) -> BusinessSettings:
    """Validate a settings document (``invalid_payload`` naming the field) and fill in defaults."""
    if not isinstance(data, dict):
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "settings must be a JSON object", field="body")
    error = schema_best_match(_VALIDATOR.iter_errors(data))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or "body"
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field}: {error.message[:200]}", field=field)

    def response(name: str) -> AutoResponse:
        raw = data.get(name) or {}
        translations: dict[str, str] = {}
        for tag, text in (raw.get("messages") or {}).items():
            locale = normalize_locale(tag)
            if locale is None:
                raise ChatError(
                    ErrorCode.INVALID_PAYLOAD, f"{tag!r} is not a language tag (fr, pt-BR)", field=f"{name}.messages"
                )
            translations[locale] = text
        message = str(raw.get("message") or DEFAULT_MESSAGES[name])
        return AutoResponse(bool(raw.get("enabled", False)), message, translations)

    hours: BusinessHours | None = None
    raw_hours = data.get("businessHours")
    if raw_hours:
        try:
            ZoneInfo(raw_hours["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ChatError(
                ErrorCode.INVALID_PAYLOAD,
                f"unknown time zone {raw_hours['timezone']!r}",
                field="businessHours.timezone",
            ) from None
        weekly: dict[str, tuple[tuple[int, int], ...]] = {}
        for day, intervals in raw_hours["weekly"].items():
            spans = tuple((_minutes(i["open"]), _minutes(i["close"])) for i in intervals)
            if any(start >= end for start, end in spans):
                raise ChatError(
                    ErrorCode.INVALID_PAYLOAD,
                    "each interval must open before it closes (split intervals that cross midnight)",
                    field=f"businessHours.weekly.{day}",
                )
            weekly[day] = spans
        hours = BusinessHours(raw_hours["timezone"], weekly)
    threshold = data.get("faqThreshold")
    return BusinessSettings(
        greeting=response("greeting"),
        away=response("away"),
        lead_capture=response("leadCapture"),
        hours=hours,
        faq_threshold=None if threshold is None else float(threshold),
        guest_retention_days=data.get("guestRetentionDays"),
        keep_page_query=bool(data.get("keepPageQuery", False)),
    )


class SettingsSource(SettingsStore, FaqStore, BusinessStore, Protocol):
    """The slice of the store automation reads."""


@dataclass(frozen=True, slots=True)
class AutomationConfig:
    """What automation reads about a business for every visitor message (cached per business)."""

    settings: BusinessSettings
    name: str  # sender name of the system messages
    faqs: tuple[Faq, ...]  # the enabled ones


async def load_config(store: SettingsSource, business_id: str) -> AutomationConfig:
    """Three reads; the server calls this through a ``BusinessCache``, once per configuration
    version, not per message."""
    settings = parse_settings(await store.get_business_settings(business_id))
    business = await store.get_business(business_id)
    faqs = await store.list_faqs(business_id, enabled_only=True)
    return AutomationConfig(settings, business.name[:100] if business else "System", tuple(faqs))


Post = Callable[[NewMessage], Awaitable[AppendResult]]
# (business id, its configuration version as the message's append read it) → its configuration
ConfigSource = Callable[[str, int], Awaitable[AutomationConfig]]


class Automation:
    """Answers a visitor message: greeting, FAQ answer, away message, lead-capture prompt."""

    def __init__(
        self,
        *,
        config: ConfigSource,
        presence: Presence,
        post: Post,
        clock: Clock,
        default_threshold: float,
    ) -> None:
        self.config = config  # a BusinessCache's ``get`` in the server: no database call per message
        self.presence = presence
        self.post = post
        self.clock = clock
        self.default_threshold = default_threshold

    async def on_visitor_message(
        self, principal: Principal, room: Room, message: Message, config_version: int
    ) -> list[Message]:
        """Post what the business configured in answer to ``message``; returns what was stored.
        ``config_version``: the business's, read with the message (``AppendResult``)."""
        config = await self.config(room.business_id, config_version)
        settings, name = config.settings, config.name
        posted: list[Message] = []

        async def send(kind: str, content: str, client_msg_id: str, faq_id: str | None = None) -> None:
            new = NewMessage(
                room_id=room.id,
                sender_id=f"system:{kind}",
                sender_type=SenderType.SYSTEM,
                sender_name=name,
                is_guest=False,
                content=content,
                client_msg_id=client_msg_id,
                faq_id=faq_id,
            )
            result = await self.post(new)
            if result.created:
                posted.append(result.message)

        locale = room.extra.get("locale")  # the visitor's language (chat:join-room), if it gave one
        locale = locale if isinstance(locale, str) else None
        if settings.greeting.enabled and message.seq == 1:
            await send(GREETING, settings.greeting.message_for(locale), GREETING)
        threshold = self.default_threshold if settings.faq_threshold is None else settings.faq_threshold
        match = best_match(message.content, config.faqs, threshold)
        if match is not None:
            await send(FAQ, match.faq.answer, f"faq:{message.id}", faq_id=match.faq.id)
        if settings.away.enabled and await self.is_away(room.business_id, settings):
            await send(AWAY, settings.away.message_for(locale), AWAY)
        if settings.lead_capture.enabled and principal.is_guest and not room.email:
            await send(LEAD_CAPTURE, settings.lead_capture.message_for(locale), LEAD_CAPTURE)
        return posted

    async def is_away(self, business_id: str, settings: BusinessSettings) -> bool:
        if settings.hours is not None and not settings.hours.is_open(self.clock()):
            return True
        return not await self.presence.staff_online(business_id)
