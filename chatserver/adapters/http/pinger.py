"""Keep-alive for every WebSocket of the process from one loop (protocol.md §1).

tornado's ``websocket_ping_interval`` runs one asyncio task per connection for the connection's
whole life (a task, its coroutine frame, a sleep timer, an entry in asyncio's task set: 1.8 KiB
of RSS each, measured with ``scripts/bench/memory.py``). Here one task visits the connections
in turn instead: they are spread over ``slots`` sets, one set visited per tick, so each is
visited once per ``interval`` and the pings go out evenly instead of 10,000 at once. A visit
closes a connection whose previous ping has had no pong (it had ``interval`` to answer, as with
tornado's ``websocket_ping_timeout`` equal to the interval), and pings the others.

The task runs only while there are connections and ends with the last one, so no shutdown step
has to stop it; it survives a failing connection (logged, the others still pinged).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from typing import Protocol

log = logging.getLogger("chatserver.realtime")

TICK_S = 1.0  # at most this long between two visits of the loop


class Pingable(Protocol):
    """A connection the pinger keeps alive. ``awaiting_pong``: a ping went out and no pong came
    back since (the connection clears it when a pong arrives)."""

    awaiting_pong: bool

    def send_ping(self) -> None:
        """Write a ping frame; never raises for a connection that is closing."""

    def ping_timed_out(self) -> None:
        """Close the connection: it did not answer the last ping within the interval."""


class Pinger:
    def __init__(self, interval: float) -> None:
        if interval <= 0:
            raise ValueError("the ping interval must be positive")
        count = max(1, math.ceil(interval / TICK_S))
        self.tick = interval / count
        self._slots: list[set[Pingable]] = [set() for _ in range(count)]
        self._next_slot = itertools.cycle(range(count))  # new connections are dealt out in turn
        self._visit = 0
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return sum(len(slot) for slot in self._slots)

    def add(self, conn: Pingable) -> None:
        """Ping ``conn`` from now on: first within one interval, then once every interval."""
        conn.awaiting_pong = False
        self._slots[next(self._next_slot)].add(conn)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="websocket-pinger")

    def discard(self, conn: Pingable) -> None:
        for slot in self._slots:
            slot.discard(conn)
        task = self._task
        if task is not None and not any(self._slots) and task is not asyncio.current_task():
            # the last one gone: end now, not at the next tick (a loop that closes meanwhile,
            # as at the end of a test, would report the task as destroyed while pending)
            self._task = None
            task.cancel()

    async def _run(self) -> None:
        try:
            while any(self._slots):
                # a fixed pause after each visit, not a fixed schedule: a loop that fell behind
                # never visits a slot early, so every connection gets its full interval to answer
                await asyncio.sleep(self.tick)
                self._visit = (self._visit + 1) % len(self._slots)
                self._visit_slot(self._slots[self._visit])
        finally:
            if self._task is asyncio.current_task():
                self._task = None  # checked and cleared with no await between: ``add`` starts a new one

    def _visit_slot(self, slot: set[Pingable]) -> None:
        for conn in list(slot):
            try:
                if conn.awaiting_pong:
                    slot.discard(conn)
                    conn.ping_timed_out()
                else:
                    conn.awaiting_pong = True
                    conn.send_ping()
            except Exception:
                log.exception("keep-alive failed for a connection")
