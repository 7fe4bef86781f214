"""Rate limits of this process only: the embedded single-instance default."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from chatserver.ports.ratelimit import Decision


class MemoryRateLimiter:
    """Sliding-window log per key. Refused events are not counted, so a client that waits
    ``retry_after_ms`` is let through."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, limit: int, window_ms: int) -> Decision:
        now = self._clock() * 1000
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self._max_keys:
                self._prune(now, window_ms)
            events = self._events[key] = deque()
        while events and events[0] <= now - window_ms:
            events.popleft()
        if len(events) >= limit:
            return Decision(False, max(1, math.ceil(events[0] + window_ms - now)))
        events.append(now)
        return Decision(True)

    def _prune(self, now: float, window_ms: int) -> None:
        stale = [k for k, v in self._events.items() if not v or v[-1] <= now - window_ms]
        for key in stale:
            del self._events[key]
