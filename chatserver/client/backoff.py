"""Reconnect and retry delays: exponential backoff with jitter (protocol.md §9), as a pure function."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(
    attempt: int, *, base: float, cap: float, jitter: float = 0.5, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first): ``base`` doubling up to
    ``cap``, spread by ±``jitter`` (a fraction) so that clients dropped together do not return together."""
    delay: float = min(cap, base * float(2 ** min(attempt, 32)))
    spread = delay * jitter * (2 * rand() - 1)
    return float(max(0.0, delay + spread))
