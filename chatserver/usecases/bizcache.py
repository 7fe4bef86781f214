"""A per-business cache of configuration read on the message path (automation's settings,
name and FAQs), so a steady stream of visitor messages makes no database call for it.

Entries expire ``ttl_ms`` after they were loaded: that bounds how long a change made through
another instance goes unseen. Changes made through this instance call ``invalidate`` right
after they commit, so they apply to the very next message. Concurrent misses for one business
share a single load, so a burst of messages after an expiry reads the database once.

An entry between one and two ``ttl_ms`` old is stale: it is still answered at once while a
reload runs in the background. Otherwise every busy business would make one message wait for
the database every ``ttl_ms`` — and businesses loaded together expire together, so on SQLite's
single connection those reloads queued behind each other and held acknowledgements for
hundreds of milliseconds (the benchmark's p99). Older entries (a quiet business) are loaded
before answering.

An entry used within the last ``keep_warm_ms`` is also reloaded in the background every
``ttl_ms`` whether or not messages arrive: a business that pauses for a few seconds does not
find its entry two TTLs old and wait for a load — and when many businesses were loaded together
(a restart, the benchmark's steps), their reloads do not all land on one message each at once.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from chatserver.domain.clock import Clock

V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 4096
DEFAULT_KEEP_WARM_MS = 60_000


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    loaded_at: int  # ms, taken when the load started: a write committed during it is not hidden
    used_at: int


class BusinessCache(Generic[V]):
    """``get(business_id)`` returns the cached value while fresh, else loads it (once, however
    many callers are waiting). ``ttl_ms`` 0 turns caching off: every ``get`` loads."""

    def __init__(
        self,
        *,
        load: Callable[[str], Awaitable[V]],
        clock: Clock,
        ttl_ms: int,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        keep_warm_ms: int = DEFAULT_KEEP_WARM_MS,
    ) -> None:
        self._load = load
        self._clock = clock
        self.ttl_ms = ttl_ms
        self.max_entries = max_entries
        self.keep_warm_ms = keep_warm_ms
        self._entries: OrderedDict[str, _Entry[V]] = OrderedDict()
        self._loading: dict[str, asyncio.Task[V]] = {}
        self._warm_timers: dict[str, asyncio.TimerHandle] = {}  # one per business: the next keep-warm

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, business_id: str) -> V:
        if self.ttl_ms <= 0:
            return await self._load(business_id)
        now = self._clock()
        entry = self._entries.get(business_id)
        if entry is not None:
            age = now - entry.loaded_at
            entry.used_at = now
            if 0 <= age < self.ttl_ms:
                self._entries.move_to_end(business_id)
                return entry.value
            if 0 <= age < 2 * self.ttl_ms:
                self._start_load(business_id, now)  # stale: answer now, reload behind it
                return entry.value
            del self._entries[business_id]
        # shielded: a caller that is cancelled does not cancel the load the others wait for
        return await asyncio.shield(self._start_load(business_id, now))

    def _start_load(self, business_id: str, now: int) -> asyncio.Task[V]:
        task = self._loading.get(business_id)
        if task is None:
            task = asyncio.create_task(self._fill(business_id, now))
            task.add_done_callback(_consume_exception)
            self._loading[business_id] = task
        return task

    def invalidate(self, business_id: str) -> None:
        """Forget the business; a load already under way will not store what it read."""
        self._entries.pop(business_id, None)
        self._loading.pop(business_id, None)
        self._cancel_warm_timer(business_id)

    async def _fill(self, business_id: str, started: int) -> V:
        me = asyncio.current_task()
        current = False
        try:
            value = await self._load(business_id)
        except BaseException:
            if self._loading.get(business_id) is me:
                self._entries.pop(business_id, None)  # a failed reload serves nothing stale
            raise
        finally:
            current = self._loading.get(business_id) is me
            if current:
                del self._loading[business_id]
        if current:
            previous = self._entries.get(business_id)
            self._entries[business_id] = _Entry(value, started, previous.used_at if previous else started)
            self._entries.move_to_end(business_id)
            # every load restarts the business's one keep-warm timer (never a second chain of them)
            self._cancel_warm_timer(business_id)
            loop = asyncio.get_running_loop()
            self._warm_timers[business_id] = loop.call_later(self.ttl_ms / 1000, self._keep_warm, business_id)
            while len(self._entries) > self.max_entries:
                evicted, _ = self._entries.popitem(last=False)
                self._cancel_warm_timer(evicted)
        return value

    def _keep_warm(self, business_id: str) -> None:
        """A TTL after a load: reload behind the scenes if the business was used lately."""
        self._warm_timers.pop(business_id, None)
        entry = self._entries.get(business_id)
        if entry is None or business_id in self._loading:
            return
        now = self._clock()
        if now - entry.used_at < self.keep_warm_ms:
            self._start_load(business_id, now)

    def _cancel_warm_timer(self, business_id: str) -> None:
        timer = self._warm_timers.pop(business_id, None)
        if timer is not None:
            timer.cancel()


def _consume_exception(task: asyncio.Task[object]) -> None:
    """The callers see a failed load's exception; this keeps asyncio from also logging it when
    every caller was cancelled before it came."""
    if not task.cancelled():
        task.exception()
