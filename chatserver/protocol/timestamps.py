"""How instants travel: epoch milliseconds (the domain's and the store's unit) as ISO 8601 UTC."""

from __future__ import annotations

import functools
from datetime import UTC, datetime


def iso_ms(epoch_ms: int | None) -> str | None:
    """Epoch milliseconds -> ISO 8601 UTC with millisecond precision and a ``Z``."""
    if epoch_ms is None:
        return None
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{_second(seconds)}{millis:03d}Z"


@functools.lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    """The text up to the milliseconds: frames sent in one second share it (formatting a
    datetime for every message and room in every frame was a visible cost)."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")
