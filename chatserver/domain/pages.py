"""The visitor's current page (issue 17): what a page view is and how what the widget reports
is cleaned before anyone stores or sees it.

Pure rules, no I/O: the use case (``usecases.page_views``) refuses what these reject and the
store keeps the cleaned values. A URL is only ever shown to staff as a link, so only absolute
``http``/``https`` URLs are accepted (a ``javascript:`` URL must never reach a dashboard), and
the query string and fragment are dropped unless the business asks to keep them: they often
carry tokens, emails or search terms the visitor never meant to hand over.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

MAX_PAGE_VIEWS = 20  # a room keeps this many, newest last: enough context, a bounded JSON value
PAGE_VIEW_INTERVAL_MS = 1000  # at most one page view per connection in this time
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 200
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class PageView:
    """One page the visitor looked at: ``url`` cleaned, ``title`` or ``None``, ``at`` in epoch ms."""

    url: str
    title: str | None
    at: int


def page_url(raw: str, *, keep_query: bool) -> str | None:
    """The URL as stored, or ``None`` when it is not an absolute http(s) URL with a host.
    Without ``keep_query`` the query string and the fragment are removed."""
    if not raw or len(raw) > MAX_URL_LENGTH or any(_is_control(ch) or ch.isspace() for ch in raw):
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 -- a malformed port raises here, and such a URL is refused
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if keep_query:
        return raw
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def page_title(raw: str | None) -> str | None:
    """Control characters removed, whitespace runs folded, trimmed to ``MAX_TITLE_LENGTH``;
    empty is ``None`` (the dashboard then shows the URL)."""
    if raw is None:
        return None
    printable = "".join(" " if _is_control(ch) else ch for ch in raw)
    title = _SPACES.sub(" ", printable).strip()[:MAX_TITLE_LENGTH].strip()
    return title or None


def _is_control(ch: str) -> bool:
    """C0 and C1 control characters (tabs and newlines included)."""
    return unicodedata.category(ch) == "Cc"
