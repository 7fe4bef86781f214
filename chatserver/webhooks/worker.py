"""The delivery worker: drains the outbox into deliveries, sends them, records the outcome.

Every instance runs one; they share the work through leases in the database (see
``chatserver.adapters.sql.webhooks``), so there is no leader to elect and no event is sent by two
instances at once (unless a lease expires mid-attempt: delivery is at-least-once). It wakes on
local outbox writes and polls for the rest (other instances' events, retries coming due).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chatserver import __version__
from chatserver.domain.clock import Clock, now_ms
from chatserver.domain.webhooks import AttemptResult, Claim
from chatserver.ports.webhooks import DeliveryQueue
from chatserver.webhooks.retry import RetryPolicy
from chatserver.webhooks.signing import SIGNATURE_HEADER, signature_header

log = logging.getLogger("chatserver.webhooks")
STOP_WAIT_S = 5.0

DISPATCH_BATCH = 200
PRUNE_EVERY_MS = 3_600_000


class Sender(Protocol):
    """Sends one HTTP POST; never raises for HTTP or network failures (they are results)."""

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout_ms: int) -> AttemptResult: ...
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    concurrency: int = 8  # attempts in flight per instance
    poll_ms: int = 1000
    timeout_ms: int = 10_000  # per attempt
    retention_ms: int = 7 * 86_400_000  # finished deliveries are kept this long
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def lease_ms(self) -> int:
        """How long an attempt may hold a delivery before another worker may take it over."""
        return 2 * self.timeout_ms + 5_000


def delivery_headers(claim: Claim, *, timestamp: int) -> dict[str, str]:
    body = claim.body.encode()
    return {
        "Content-Type": "application/json",
        "User-Agent": f"chatserver-webhooks/{__version__}",
        "X-Chatserver-Event": claim.event_type,
        "X-Chatserver-Event-Id": claim.event_id,
        "X-Chatserver-Delivery": claim.delivery_id,
        "X-Chatserver-Attempt": str(claim.attempts + 1),
        SIGNATURE_HEADER: signature_header(claim.secret, timestamp, body),
    }


class WebhookWorker:
    def __init__(
        self,
        queue: DeliveryQueue,
        sender: Sender,
        *,
        settings: WorkerSettings | None = None,
        clock: Clock = now_ms,
        on_attempt: Callable[[AttemptResult], None] | None = None,
    ) -> None:
        self.queue = queue
        self.sender = sender
        self.settings = settings or WorkerSettings()
        self.clock = clock
        self.owner = f"worker-{secrets.token_hex(6)}"
        self.on_attempt = on_attempt  # observes every attempt's result (metrics, tests)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._last_prune = 0

    def wake(self) -> None:
        """Something new is in the outbox: look now instead of at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        """Cancel attempts in flight and give their leases back: they are retried (at-least-once)."""
        tasks = [t for t in [self._task, *self._inflight] if t is not None]
        for task in tasks:
            task.cancel()
        # bounded: an attempt stuck in its HTTP client must not hold up shutdown (its lease expires)
        _, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_S) if tasks else (set(), set())
        if stuck:
            log.warning("webhooks: %d attempts did not stop within %.0f s", len(stuck), STOP_WAIT_S)
        try:
            await asyncio.wait_for(self.queue.release(self.owner), STOP_WAIT_S)
        except Exception:  # the database may be gone already; the leases simply expire
            log.warning("webhooks: could not release leases on shutdown", exc_info=True)
        await self.sender.close()

    async def _run(self) -> None:
        """Supervised loop: a failing tick is logged and retried with backoff."""
        failures = 0
        while True:
            try:
                more = await self.tick()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("webhooks: worker tick failed (%d in a row)", failures)
                await asyncio.sleep(min(30.0, 0.2 * 2**failures))
                continue
            if more:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that arrives as
            # the event is set (stop() cancels attempts, whose last act is wake()), and stop() hung
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_ms / 1000):
                    await self._wake.wait()
            self._wake.clear()

    async def tick(self) -> bool:
        """One round: dispatch, claim what is due, start attempts. Whether more is waiting."""
        now = self.clock()
        dispatched = await self.queue.dispatch(now, DISPATCH_BATCH)
        free = self.settings.concurrency - len(self._inflight)
        for claim in await self.queue.claim(self.owner, now, self.settings.lease_ms, free):
            task = asyncio.create_task(self._attempt(claim))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        if now - self._last_prune >= PRUNE_EVERY_MS:
            self._last_prune = now
            pruned = await self.queue.prune(now - self.settings.retention_ms)
            if pruned:
                log.info("webhooks: pruned %d finished deliveries", pruned)
        return dispatched >= DISPATCH_BATCH

    async def _attempt(self, claim: Claim) -> None:
        try:
            headers = delivery_headers(claim, timestamp=self.clock() // 1000)
            result = await self.sender.post(claim.url, claim.body.encode(), headers, self.settings.timeout_ms)
            now = self.clock()
            retry_at = None
            if not result.ok:
                retry_at = self.settings.policy.next_attempt(claim.attempts + 1, claim.retry_from, now)
            await self.queue.record(claim.delivery_id, result, now=now, next_attempt_at=retry_at)
            if result.ok:
                log.debug("webhooks: delivered %s (%s)", claim.event_id, claim.event_type)
            else:
                log.info(
                    "webhooks: delivery %s attempt %d failed: %s; %s",
                    claim.delivery_id,
                    claim.attempts + 1,
                    result.detail or result.error,
                    "giving up" if retry_at is None else f"retry in {(retry_at - now) // 1000} s",
                )
            if self.on_attempt is not None:
                self.on_attempt(result)
        except asyncio.CancelledError:
            raise
        except Exception:  # the lease expires and the delivery is retried
            log.exception("webhooks: attempt of %s could not be completed", claim.delivery_id)
        finally:
            self.wake()  # a slot is free, and the room's next event may now be due
