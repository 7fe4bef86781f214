"""Whether the store's writes are failing right now, for ``/readyz``.

``SELECT 1`` answering does not mean the instance can take chat traffic: a read-only PostgreSQL
after a failover, a full disk, a table lock that outlasts ``DATABASE_TIMEOUT`` all leave reads
working while every send fails. So the send path's driver (``SqlStore._run``: guests, rooms,
messages) reports each outcome here. A storage failure makes the instance not ready; a write that
succeeds makes it ready again. With no writes at all (the balancer took the instance out), the
mark lapses after ``FAILURE_HOLD_S``, so traffic is tried again — a circuit breaker's half-open
state — instead of keeping a recovered instance out forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable

FAILURE_HOLD_S = 30.0  # how long one failed write keeps the instance not ready without a success


class WriteHealth:
    """The last outcome of the store's writes: ``status()`` is ``ok`` or why not."""

    def __init__(self, *, hold_s: float = FAILURE_HOLD_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._hold_s = hold_s
        self._clock = clock
        self._failed_at: float | None = None
        self._failures = 0
        self._reason = ""

    def succeeded(self) -> None:
        self._failed_at = None
        self._failures = 0

    def failed(self, error: BaseException) -> None:
        self._failed_at = self._clock()
        self._failures += 1
        self._reason = str(error) or type(error).__name__

    def status(self) -> str:
        if self._failed_at is None:
            return "ok"
        ago = self._clock() - self._failed_at
        if ago >= self._hold_s:
            return "ok"
        return f"failing: {self._failures} writes failed, the last {ago:.0f} s ago ({self._reason})"
