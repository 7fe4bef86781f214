"""Per-connection and per-address limits that live with the connection, on one instance.

These count things only the instance holding the connection can see (its open sockets, the
frames arriving on one of them), so they are plain in-process counters: routing every frame
through a shared ``RateLimiter`` would add a network round trip per frame and make nothing
fairer. Limits that must hold across instances (messages per guest, registrations per
address) go through ``chatserver.ports.ratelimit.RateLimiter`` instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

EPSILON = 1e-6  # float noise: 0.1 s at 10 a second must refill exactly one token


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second; one token per event."""

    def __init__(self, rate: float, capacity: int, clock: Callable[[], float]) -> None:
        self._rate = rate
        self._capacity = float(capacity)
        self._tokens = float(capacity)
        self._clock = clock
        self._at = clock()

    def take(self) -> int:
        """Take a token: 0 when one was there, otherwise the milliseconds until one will be."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1.0 - EPSILON:
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0
        return max(1, math.ceil((1.0 - self._tokens) / self._rate * 1000 - EPSILON))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one incoming frame."""

    allowed: bool
    retry_after_ms: int = 0
    close: bool = False


ALLOW = Verdict(True)


class FrameThrottle:
    """Frames per second on one connection, with a burst; and when to give up on a flooder.

    A frame takes a token from the allowance (``burst`` tokens, ``rate`` per second back). With
    none left it is refused (``rate_limited``, ``retryAfterMs``). Refused frames take from a
    tolerance bucket of the same size and rate; when that is empty too, the client has ignored
    ``rate_limited`` for a whole burst beyond its allowance (sustained, more than twice the
    allowed rate) and the connection is closed (4429).
    """

    def __init__(self, rate: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._allowance = TokenBucket(rate, burst, clock)
        self._tolerance = TokenBucket(rate, burst, clock)

    def admit(self) -> Verdict:
        wait_ms = self._allowance.take()
        if wait_ms == 0:
            return ALLOW
        if self._tolerance.take() != 0:
            return Verdict(False, wait_ms, close=True)
        return Verdict(False, wait_ms)


class Unlimited:
    """The throttle when ``MAX_FRAMES_PER_SECOND`` is 0."""

    def admit(self) -> Verdict:
        return ALLOW


def frame_throttle(rate: int, burst: int) -> FrameThrottle | Unlimited:
    return FrameThrottle(rate, burst) if rate > 0 else Unlimited()


class ConnectionsPerAddress:
    """Open connections per client address on this instance; ``limit`` 0 means no limit."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: dict[str, int] = {}

    def acquire(self, address: str) -> bool:
        """Count one more connection from ``address``, unless it already holds the limit."""
        count = self._open.get(address, 0)
        if self._limit and count >= self._limit:
            return False
        self._open[address] = count + 1
        return True

    def release(self, address: str) -> None:
        count = self._open.get(address, 0) - 1
        if count > 0:
            self._open[address] = count
        else:
            self._open.pop(address, None)

    def count(self, address: str) -> int:
        return self._open.get(address, 0)
