"""Canned responses: replies staff keep ready and insert by typing ``/`` and a short code.

A short code is what staff type after the slash, so it is short, has no spaces and is unique
in a business whatever its case (``/Greet`` and ``/greet`` would be the same entry to type).
Placeholders (``{{visitor.name}}``, ``{{visitor.email}}``, ``{{staff.name}}``) stay in the
stored text: the dashboard fills them when staff insert the response, from the conversation
on screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SHORT_CODE = 32
MAX_CONTENT = 2000
MAX_PER_BUSINESS = 200
SHORT_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
_SHORT_CODE = re.compile(SHORT_CODE_PATTERN)
PLACEHOLDERS = ("{{visitor.name}}", "{{visitor.email}}", "{{staff.name}}")


@dataclass(frozen=True, slots=True)
class CannedResponse:
    id: str
    business_id: str
    short_code: str
    content: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class CannedFields:
    """A create (both set) or an update (either)."""

    short_code: str | None = None
    content: str | None = None


def valid_short_code(code: str) -> bool:
    return _SHORT_CODE.fullmatch(code) is not None


def short_code_key(code: str) -> str:
    """What makes two short codes the same one in a business."""
    return code.casefold()
