"""The delivery worker stops when asked, even when a wake-up arrives together with the stop (an
attempt cancelled by ``stop()`` wakes the worker as its last act). On Python 3.11,
``asyncio.wait_for`` lost that cancellation and ``stop()`` never returned."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.domain.webhooks import AttemptResult, Claim
from chatserver.webhooks.worker import WebhookWorker, WorkerSettings
from tests.services import run_aside


class IdleQueue:
    """Nothing to send; counts the worker's rounds."""

    def __init__(self) -> None:
        self.ticks = 0

    async def dispatch(self, now: int, limit: int) -> int:
        self.ticks += 1
        return 0

    async def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list[Claim]:
        return []

    async def record(self, delivery_id: str, result: AttemptResult, *, now: int, next_attempt_at: int | None) -> None:
        return None

    async def release(self, owner: str) -> None:
        return None

    async def prune(self, before: int) -> int:
        return 0


class NoSender:
    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout_ms: int) -> AttemptResult:
        raise AssertionError("nothing is sent")

    async def close(self) -> None:
        return None


@pytest.mark.timeout(30)
def test_stop_is_not_lost_when_a_wake_up_comes_with_it():
    async def scenario() -> None:
        queue = IdleQueue()
        worker = WebhookWorker(queue, NoSender(), settings=WorkerSettings(poll_ms=600_000))
        await worker.start()
        while queue.ticks == 0:  # now waiting for a wake-up (or the next poll, in ten minutes)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)
        worker.wake()
        await asyncio.wait_for(worker.stop(), 5)

    run_aside(scenario())
