"""FAQ automation: matching a visitor's message to the business's FAQ entries, and their size limits.

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

from rapidfuzz import fuzz

from chatserver.domain.business import Faq

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
