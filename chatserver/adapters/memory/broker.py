"""In-process broker: the embedded default for a single instance, and the reference for tests."""

from __future__ import annotations

import asyncio

from chatserver.ports.broker import Publication, Resync


class MemoryBroker:
    """Delivers a publication to this process when it is subscribed to the channel.

    The queue is bounded, so a stalled consumer slows publishers instead of growing memory.
    """

    reaches_other_instances = False

    def __init__(self, *, max_pending: int = 10_000) -> None:
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[Publication | Resync] = asyncio.Queue(maxsize=max_pending)

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        self._channels.clear()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)

    async def publish(self, channel: str, payload: bytes) -> None:
        if channel in self._channels:
            await self._queue.put(Publication(channel, payload))

    async def next_published(self) -> Publication | Resync:
        return await self._queue.get()

    async def ping(self) -> None:
        return None
