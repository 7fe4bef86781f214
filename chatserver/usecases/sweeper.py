"""Guest session expiry in the background: sessions idle longer than ``GUEST_SESSION_TIMEOUT`` are
marked expired (their ``sessionId`` no longer resumes); their rooms stay visible to the business.

A resume also checks the idle time itself, so the sweeper only makes the stored state true for
reporting; it is supervised (errors logged, next round retried) and cancelled on shutdown.
"""

from __future__ import annotations

import logging
from typing import Protocol

from chatserver.domain.clock import Clock
from chatserver.usecases.periodic import Periodic

log = logging.getLogger("chatserver.sweeper")


class ExpiringGuests(Protocol):
    async def expire_idle_guests(self, cutoff: int) -> int: ...


class GuestSweeper(Periodic):
    name = "guest-sweeper"

    def __init__(self, store: ExpiringGuests, *, timeout_ms: int, interval_s: float, clock: Clock) -> None:
        self.store = store
        self.timeout_ms = timeout_ms
        super().__init__(interval_s=interval_s)
        self.clock = clock

    async def sweep_once(self) -> int:
        expired = await self.store.expire_idle_guests(self.clock() - self.timeout_ms)
        if expired:
            log.info("expired %d idle guest sessions", expired)
        return expired
