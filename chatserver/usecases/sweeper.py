"""Guest session expiry in the background: sessions idle longer than ``GUEST_SESSION_TIMEOUT`` are
marked expired (their ``sessionId`` no longer resumes); their rooms stay visible to the business.

A resume also checks the idle time itself, so the sweeper only makes the stored state true for
reporting; it is supervised (errors logged, next round retried) and cancelled on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from chatserver.domain.clock import Clock

log = logging.getLogger("chatserver.sweeper")


class ExpiringGuests(Protocol):
    async def expire_idle_guests(self, cutoff: int) -> int: ...


class GuestSweeper:
    def __init__(self, store: ExpiringGuests, *, timeout_ms: int, interval_s: float, clock: Clock) -> None:
        self.store = store
        self.timeout_ms = timeout_ms
        self.interval_s = interval_s
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self) -> int:
        expired = await self.store.expire_idle_guests(self.clock() - self.timeout_ms)
        if expired:
            log.info("expired %d idle guest sessions", expired)
        return expired

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("guest sweeper: round failed; retrying next interval")
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None and self.interval_s > 0:
            self._task = asyncio.create_task(self._run(), name="guest-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
