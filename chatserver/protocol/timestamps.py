"""How instants travel: epoch milliseconds (the domain's and the store's unit) as ISO 8601 UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(epoch_ms: int | None) -> str | None:
    """Epoch milliseconds -> ISO 8601 UTC with millisecond precision and a ``Z``."""
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"
