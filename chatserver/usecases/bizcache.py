"""A per-business cache of configuration read on the message path (automation's settings,
name and FAQs), so a steady stream of visitor messages makes no database call for it.

Entries are keyed by the business's configuration version, which every settings or FAQ write
bumps in its own transaction and which the message's append reads in the statement it runs
anyway. A caller asks for the version it read: an entry of another version is out of date and
is loaded again, once, before answering. So a change applies to the very next message on every
instance (whichever instance, or the CLI, made it), and nothing runs while no message arrives —
no expiry, no timer, no reload of idle businesses (a timer per recently active business once
cost a quarter of a core with 500 of them).

Concurrent misses for one business and version share a single load. The number of entries is
bounded (least recently used first out).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    version: int


class BusinessCache(Generic[V]):
    """``get(business_id, version)`` returns the cached value of that version, else loads it
    (once, however many callers are waiting)."""

    def __init__(self, *, load: Callable[[str], Awaitable[V]], max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._load = load
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry[V]] = OrderedDict()
        self._loading: dict[tuple[str, int], asyncio.Task[V]] = {}
        self.loads = 0  # how many times the configuration was read (tests, benchmarks)

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, business_id: str, version: int) -> V:
        entry = self._entries.get(business_id)
        if entry is not None and entry.version == version:
            self._entries.move_to_end(business_id)
            return entry.value
        key = (business_id, version)
        task = self._loading.get(key)
        if task is None:
            task = asyncio.create_task(self._fill(business_id, version))
            task.add_done_callback(_consume_exception)
            self._loading[key] = task
        # shielded: a caller that is cancelled does not cancel the load the others wait for
        return await asyncio.shield(task)

    async def _fill(self, business_id: str, version: int) -> V:
        self.loads += 1
        try:
            # read after the append that saw ``version`` committed: what it reads is at least
            # that version, and a later write bumps the version past it
            value = await self._load(business_id)
        finally:
            del self._loading[(business_id, version)]
        current = self._entries.get(business_id)
        if current is None or current.version <= version:
            self._entries[business_id] = _Entry(value, version)
            self._entries.move_to_end(business_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value


def _consume_exception(task: asyncio.Task[object]) -> None:
    """The callers see a failed load's exception; this keeps asyncio from also logging it when
    every caller was cancelled before it came."""
    if not task.cancelled():
        task.exception()
