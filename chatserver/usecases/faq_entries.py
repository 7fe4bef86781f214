"""Validation of FAQ entries as staff send them (REST, CLI, import files): refusals name the field.

The matching and the size limits are the domain's (``chat/faq.py``); turning untrusted input
into ``FaqFields`` is the use case's, which is why this lives beside ``admin.py``.
"""

from __future__ import annotations

from typing import Any

from chatserver.domain.business import FaqFields
from chatserver.domain.faq import MAX_ANSWER, MAX_IMPORT, MAX_KEYWORD, MAX_KEYWORDS, MAX_QUESTION
from chatserver.protocol import ChatError, ErrorCode


def _text(data: dict[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or not value.strip():
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{name} must be a non-empty string", field=name)
    if len(value) > limit:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{name} must be at most {limit} characters", field=name)
    return value.strip()


def _keywords(data: dict[str, Any]) -> tuple[str, ...] | None:
    value = data.get("keywords")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_KEYWORDS:
        raise ChatError(
            ErrorCode.INVALID_PAYLOAD, f"keywords must be a list of at most {MAX_KEYWORDS} strings", field="keywords"
        )
    cleaned: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_KEYWORD:
            raise ChatError(
                ErrorCode.INVALID_PAYLOAD,
                f"each keyword must be a non-empty string of at most {MAX_KEYWORD} characters",
                field="keywords",
            )
        if item.strip() not in cleaned:
            cleaned.append(item.strip())
    return tuple(cleaned)


def _enabled(data: dict[str, Any]) -> bool | None:
    value = data.get("enabled")
    if value is not None and not isinstance(value, bool):
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "enabled must be true or false", field="enabled")
    return value


def faq_fields(data: Any, *, partial: bool) -> FaqFields:
    """Validate a FAQ body: all of question and answer for a create, any subset for an update."""
    if not isinstance(data, dict):
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "the body must be a JSON object", field="body")
    return FaqFields(
        question=_text(data, "question", MAX_QUESTION, required=not partial),
        answer=_text(data, "answer", MAX_ANSWER, required=not partial),
        keywords=_keywords(data) if partial else (_keywords(data) or ()),
        enabled=_enabled(data),
    )


def import_entries(data: Any) -> list[FaqFields]:
    """A FAQ import file: a JSON list of FAQ objects, or ``{"faqs": [...]}``."""
    entries = data.get("faqs") if isinstance(data, dict) else data
    if not isinstance(entries, list) or len(entries) > MAX_IMPORT:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"expected a list of at most {MAX_IMPORT} FAQ objects")
    fields: list[FaqFields] = []
    for index, entry in enumerate(entries):
        try:
            fields.append(faq_fields(entry, partial=False))
        except ChatError as err:
            raise ChatError(err.code, f"entry {index}: {err.message}", field=err.field) from None
    return fields
