"""FAQ automation: matching a visitor's message to the business's FAQ entries, and managing them.

Matching normalizes both sides (case, accents, punctuation), then scores each enabled FAQ with
rapidfuzz: a keyword found as a whole word or phrase scores 100, a keyword within a small edit
distance of a word of the message scores its similarity, and the question itself is compared
with ``token_sort_ratio``. The best score at or above the threshold wins; below it, no reply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from chatserver.chat.bizmodels import Faq, FaqFields
from chatserver.protocol import ChatError, ErrorCode

MIN_FUZZY_WORD = 4  # shorter words match keywords only exactly ("hi" must not match "his")
MAX_QUESTION = 500
MAX_ANSWER = 4000
MAX_KEYWORDS = 30
MAX_KEYWORD = 60
MAX_IMPORT = 1000

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-case, accents stripped, punctuation to spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # ASCII has no combining marks: skip the per-character pass (most messages, every send)
    bare = decomposed if decomposed.isascii() else "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", bare).split())


@dataclass(frozen=True, slots=True)
class FaqMatch:
    faq: Faq
    score: float


def keyword_score(keyword: str, text: str, words: Sequence[str]) -> float:
    if not keyword:
        return 0.0
    if f" {keyword} " in f" {text} ":
        return 100.0
    if " " in keyword or len(keyword) < MIN_FUZZY_WORD:
        return 0.0
    candidates = [w for w in words if len(w) >= MIN_FUZZY_WORD]
    return max((fuzz.ratio(keyword, w) for w in candidates), default=0.0)


def score(faq: Faq, text: str) -> float:
    """How well ``text`` (already normalized) asks this FAQ, 0..100."""
    words = text.split()
    best = fuzz.token_sort_ratio(normalize(faq.question), text)
    for keyword in faq.keywords:
        best = max(best, keyword_score(normalize(keyword), text, words))
    return float(best)


def best_match(message: str, faqs: Iterable[Faq], threshold: float) -> FaqMatch | None:
    """The enabled FAQ that best answers ``message``; ``None`` below ``threshold``.
    Ties go to the FAQ created first."""
    enabled = [faq for faq in faqs if faq.enabled]
    if not enabled:
        return None
    text = normalize(message)
    if not text:
        return None
    found: FaqMatch | None = None
    for faq in enabled:
        value = score(faq, text)
        if value >= threshold and (found is None or value > found.score):
            found = FaqMatch(faq, value)
    return found


# validation of staff input (REST, CLI, import)


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
