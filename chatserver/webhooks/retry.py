"""When to try a failed delivery again: exponential backoff, capped, for at least a retry window."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_ms: int = 10_000  # first retry after ~10 s
    max_ms: int = 3_600_000  # delays double up to an hour
    window_ms: int = 86_400_000  # keep retrying until a failure happens this long after the first try
    jitter: float = 0.2  # ±20 %, so deliveries failed together do not retry together

    def next_attempt(
        self, attempts: int, retry_from: int, now: int, *, rand: Callable[[], float] = random.random
    ) -> int | None:
        """After the ``attempts``-th failed attempt (1 for the first), when to try again; ``None``
        to give up. Giving up happens only once a failure occurs at least ``window_ms`` after
        ``retry_from``, so retries always span the whole window."""
        if now - retry_from >= self.window_ms:
            return None
        delay = min(self.max_ms, self.base_ms * 2 ** min(attempts - 1, 40))
        spread = delay * self.jitter * (2 * rand() - 1)
        return now + max(1, int(delay + spread))

    def schedule(self, *, count: int) -> list[int]:
        """The first ``count`` delays without jitter, in ms (for documentation and tests)."""
        return [min(self.max_ms, self.base_ms * 2 ** min(n, 40)) for n in range(count)]
