"""The Redis broker across outages, on a private redis-server this test kills and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tornado.ioloop import IOLoop

from chatserver.adapters.redis.broker import RedisBroker
from chatserver.ports.broker import Publication, Resync
from tests.services import PrivateRedis, require_redis


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    require_redis()
    server = PrivateRedis()
    yield server
    server.kill()


@pytest.fixture
def brokers(io_loop: IOLoop) -> Iterator[list[RedisBroker]]:
    made: list[RedisBroker] = []
    yield made
    for broker in made:
        io_loop.run_sync(broker.close)


async def take(broker: RedisBroker, timeout: float = 10.0) -> Publication | Resync:
    return await asyncio.wait_for(broker.next_published(), timeout)


async def test_subscribe_while_redis_is_down_is_kept_and_done_on_connecting(private_redis, brokers):
    broker = RedisBroker(private_redis.url, prefix="t:", confirm_timeout=0.2)
    brokers.append(broker)
    await broker.connect()  # Redis is not running: starts anyway
    await broker.subscribe("room:a")  # does not raise: the wish is kept
    with pytest.raises(Exception):  # noqa: B017 - any failure: not ready
        await broker.ping()

    await private_redis.astart()
    assert isinstance(await take(broker), Resync)
    await broker.ping()
    other = RedisBroker(private_redis.url, prefix="t:")
    brokers.append(other)
    await other.connect()
    await other.publish("room:a", b"after start")
    assert await take(broker) == Publication("room:a", b"after start")


async def test_restart_resubscribes_resyncs_and_sends_what_was_kept(private_redis, brokers):
    await private_redis.astart()
    reconnects: list[int] = []
    broker = RedisBroker(private_redis.url, prefix="t:", on_reconnect=lambda: reconnects.append(1))
    brokers.append(broker)
    await broker.connect()
    assert isinstance(await take(broker), Resync)  # the first connection
    await broker.subscribe("room:a")

    private_redis.kill()
    await broker.publish("room:a", b"during the outage")  # kept, not raised
    await private_redis.astart()

    assert isinstance(await take(broker), Resync)
    assert await take(broker) == Publication("room:a", b"during the outage")
    assert reconnects == [1]
    await broker.publish("room:a", b"after")
    assert await take(broker) == Publication("room:a", b"after")
