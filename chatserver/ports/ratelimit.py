"""Rate limits behind one small interface (in process: ``adapters/memory/limits.py``; shared:
``adapters/redis/limits.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after_ms: int = 0


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_ms: int) -> Decision:
        """Count one event for ``key``; refuse when ``limit`` events already fell in the window."""
        ...
