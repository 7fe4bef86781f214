"""Staff presence: the same contract in-process and in Redis; in Redis it spans instances and
an instance that stops heartbeating (as a crashed one does) drops out after the TTL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from tornado.ioloop import IOLoop

from chatserver.adapters.memory.presence import MemoryPresence
from chatserver.adapters.redis.presence import RedisPresence
from chatserver.ports.presence import Presence
from tests.services import REDIS_URL, redis_prefix

TTL_MS = 600


@pytest.fixture
def redis_presences(io_loop: IOLoop) -> Iterator[Callable[[str], RedisPresence]]:
    made: list[RedisPresence] = []
    with redis_prefix() as prefix:

        def make(instance: str) -> RedisPresence:
            presence = RedisPresence(REDIS_URL, prefix=prefix, instance_id=instance, ttl_ms=TTL_MS)
            made.append(presence)
            return presence

        yield make
        for presence in made:
            io_loop.run_sync(presence.close)


@pytest.fixture(params=["memory", "redis"])
def presence(request: pytest.FixtureRequest, redis_presences: Callable[[str], RedisPresence]) -> Presence:
    return MemoryPresence() if request.param == "memory" else redis_presences("a")


async def test_staff_are_online_while_a_connection_is_open(presence):
    assert not await presence.staff_online("biz")
    await presence.connected("biz", "alice")
    await presence.connected("biz", "alice")  # a second tab
    assert await presence.staff_online("biz")
    assert not await presence.staff_online("other-biz")
    await presence.disconnected("biz", "alice")
    assert await presence.online_staff("biz") == {"alice"}
    await presence.disconnected("biz", "alice")
    assert not await presence.staff_online("biz")


async def test_presence_spans_instances(redis_presences):
    a, b = redis_presences("a"), redis_presences("b")
    await a.connected("biz", "alice")
    await b.connected("biz", "bob")
    assert await b.online_staff("biz") == {"alice", "bob"}
    await a.disconnected("biz", "alice")
    assert await b.online_staff("biz") == {"bob"}


async def until(check: Callable[[], object], within_s: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while loop.time() < deadline:
        if await check():  # type: ignore[misc]
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_dead_instance_drops_out_after_the_ttl_while_a_live_one_stays(redis_presences):
    dead, live, observer = redis_presences("dead"), redis_presences("live"), redis_presences("observer")
    await live.start()  # heartbeats every TTL/3
    await dead.connected("biz", "alice")  # never heartbeats again, as after kill -9
    await live.connected("biz", "bob")
    assert await observer.online_staff("biz") == {"alice", "bob"}
    assert await until(lambda: _is(observer, {"bob"}), within_s=TTL_MS / 1000 * 5)
    await asyncio.sleep(TTL_MS / 1000 * 1.5)  # well past one TTL: bob's heartbeats keep him
    assert await observer.online_staff("biz") == {"bob"}


async def _is(presence: Presence, expected: set[str]) -> bool:
    return await presence.online_staff("biz") == expected
