"""Page cursors of the store's keyset pagination (rooms by activity, deliveries by creation):
``<epoch ms>:<id>`` in URL-safe base64. Opaque to clients; decoded only here."""

from __future__ import annotations

import base64
import re

# what encode_cursor writes: a BIGINT time (0 .. 2**63 - 1, at most 19 ASCII digits) and an id of
# the tables' String(32) key. Anything else never reaches SQL: an out-of-range number fails in the
# driver (SQLite: OverflowError; PostgreSQL: a DataError) as if the database were at fault.
_CURSOR = re.compile(r"(?P<at>[0-9]{1,19}):(?P<id>[0-9A-Za-z_-]{1,32})")
_MAX_AT = 2**63 - 1
_MAX_CURSOR = 80  # characters of base64: far more than (19 + 1 + 32) bytes need


def encode_cursor(at: int, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """Raises ValueError for anything that is not a cursor this store could have issued."""
    if len(cursor) > _MAX_CURSOR or not cursor.isascii():
        raise ValueError("bad cursor")
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode()).decode("ascii")
    except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
        raise ValueError("bad cursor") from None
    match = _CURSOR.fullmatch(text)
    if match is None or int(match["at"]) > _MAX_AT:
        raise ValueError("bad cursor")
    return int(match["at"]), match["id"]
