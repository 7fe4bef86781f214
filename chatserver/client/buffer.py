"""A bounded event buffer between the connection's reader and the application's ``async for``."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

from chatserver.client.errors import ClientClosed

T = TypeVar("T")


class EventBuffer(Generic[T]):
    """``offer`` never waits (the reader must not block: acks travel on the same socket);
    ``put`` waits for room (catch-up tasks); ``get`` returns ``None`` once closed and drained."""

    def __init__(self, maxsize: int) -> None:
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, item: T) -> bool:
        """Append unless full or closed; whether it was appended."""
        if self._closed or len(self._items) >= self._maxsize:
            return False
        self._append(item)
        return True

    async def put(self, item: T) -> None:
        """Append, waiting while the buffer is full. Raises ``ClientClosed`` once closed."""
        while True:
            if self._closed:
                raise ClientClosed("the client is closed")
            if len(self._items) < self._maxsize:
                self._append(item)
                return
            self._writable.clear()
            await self._writable.wait()

    async def get(self) -> T | None:
        while True:
            if self._items:
                item = self._items.popleft()
                self._writable.set()
                return item
            if self._closed:
                return None
            self._readable.clear()
            await self._readable.wait()

    def close(self) -> None:
        self._closed = True
        self._readable.set()
        self._writable.set()

    def _append(self, item: T) -> None:
        self._items.append(item)
        self._readable.set()
