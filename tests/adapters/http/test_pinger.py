"""The one keep-alive loop (``Pinger``) over fake connections: every connection pinged once per
interval, spread over the interval; one that did not answer its last ping closed; the loop
survives a failing connection and ends with the last connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from chatserver.adapters.http.pinger import Pinger

INTERVAL = 0.2


class Conn:
    def __init__(self, *, answers: bool = True, broken: bool = False) -> None:
        self.answers, self.broken = answers, broken
        self.awaiting_pong = False
        self.pings = 0
        self.timed_out = False

    def send_ping(self) -> None:
        if self.broken:
            raise RuntimeError("boom")
        self.pings += 1
        if self.answers:
            asyncio.get_running_loop().call_soon(self.pong)

    def pong(self) -> None:
        self.awaiting_pong = False

    def ping_timed_out(self) -> None:
        self.timed_out = True


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Polls: the machine may be busy, so no test depends on a tick being on time."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_an_interval_is_spread_over_ticks_of_at_most_a_second() -> None:
    assert Pinger(25).tick == pytest.approx(1.0)
    assert Pinger(2.5).tick == pytest.approx(2.5 / 3)
    assert Pinger(0.5).tick == pytest.approx(0.5)
    with pytest.raises(ValueError):
        Pinger(0)


async def test_each_connection_is_pinged_once_per_interval() -> None:
    pinger = Pinger(INTERVAL)
    conns = [Conn() for _ in range(5)]
    started = time.monotonic()
    for conn in conns:
        pinger.add(conn)
    await until(lambda: all(conn.pings >= 3 for conn in conns))
    elapsed = time.monotonic() - started
    assert all(conn.pings <= elapsed / INTERVAL for conn in conns), [conn.pings for conn in conns]
    assert not any(conn.timed_out for conn in conns)
    for conn in conns:
        pinger.discard(conn)


async def test_a_connection_that_never_answers_is_closed_after_one_interval() -> None:
    pinger = Pinger(INTERVAL)
    silent, polite = Conn(answers=False), Conn()
    started = time.monotonic()
    pinger.add(silent)
    pinger.add(polite)
    await until(lambda: silent.timed_out)
    assert time.monotonic() - started >= 2 * INTERVAL  # pinged after one interval, closed one later
    assert silent.pings == 1
    assert not polite.timed_out
    assert len(pinger) == 1  # the closed one is not visited again
    pinger.discard(polite)


async def test_a_failing_connection_does_not_stop_the_others() -> None:
    pinger = Pinger(INTERVAL)
    broken, fine = Conn(broken=True), Conn()
    pinger.add(broken)
    pinger.add(fine)
    await until(lambda: fine.pings >= 2)
    assert not fine.timed_out
    pinger.discard(broken)
    pinger.discard(fine)


async def test_the_loop_starts_again_with_the_next_connection() -> None:
    pinger = Pinger(INTERVAL)
    first = Conn()
    pinger.add(first)
    assert pinger._task is not None
    pinger.discard(first)
    assert pinger._task is None
    second = Conn()
    pinger.add(second)
    await until(lambda: second.pings >= 1)
    pinger.discard(second)


async def test_the_last_connection_leaving_ends_the_loop_at_once() -> None:
    pinger = Pinger(INTERVAL)
    conn = Conn()
    pinger.add(conn)
    task = pinger._task
    assert task is not None
    pinger.discard(conn)
    await asyncio.sleep(0)
    assert task.done() and pinger._task is None
