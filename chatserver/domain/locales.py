"""A visitor's language, as the widget reports it (``data-locale``, the page's ``<html lang>`` or
the browser's): a BCP 47 tag such as ``fr`` or ``pt-BR``. Kept lower-case, so a business's
``pt-br`` message answers a widget saying ``pt-BR``; anything that is not such a tag is refused
rather than stored (it ends up in every room object staff see)."""

from __future__ import annotations

import re

MAX_LOCALE = 35
_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")


def normalize_locale(value: str) -> str | None:
    """The tag lower-cased, or None when ``value`` is not one."""
    tag = value.strip().replace("_", "-").lower()
    return tag if len(tag) <= MAX_LOCALE and _TAG.fullmatch(tag) else None


def best_translation(translations: dict[str, str], locale: str | None) -> str | None:
    """The text for ``locale``: its exact tag (``pt-br``), else its language (``pt``), else None."""
    if not locale or not translations:
        return None
    return translations.get(locale) or translations.get(locale.split("-", 1)[0])
