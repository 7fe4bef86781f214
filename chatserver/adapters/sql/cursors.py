"""Page cursors of the store's keyset pagination (rooms by activity, deliveries by creation):
``<epoch ms>:<id>`` in URL-safe base64. Opaque to clients; decoded only here."""

from __future__ import annotations

import base64


def encode_cursor(at: int, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """Raises ValueError for anything that is not a cursor this store issued."""
    padded = cursor + "=" * (-len(cursor) % 4)
    at, _, row_id = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    if not row_id:
        raise ValueError("bad cursor")
    return int(at), row_id
