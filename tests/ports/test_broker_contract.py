"""One contract for every broker: the in-process default and Redis behave the same."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import nullcontext

import pytest
from tornado.ioloop import IOLoop

from chatserver.adapters.memory.broker import MemoryBroker
from chatserver.ports.broker import Broker, Publication, Resync
from tests.services import REDIS_URL, redis_prefix


def _factory(kind: str, io_loop: IOLoop) -> Iterator[Callable[[], Awaitable[Broker]]]:
    brokers: list[Broker] = []
    with redis_prefix() if kind == "redis" else nullcontext("") as prefix:

        async def make() -> Broker:
            if kind == "memory":
                broker: Broker = MemoryBroker()
            else:
                from chatserver.adapters.redis.broker import RedisBroker

                broker = RedisBroker(REDIS_URL, prefix=prefix)
            await broker.connect()
            brokers.append(broker)
            return broker

        yield make
        for broker in brokers:
            io_loop.run_sync(broker.close)


@pytest.fixture(params=["memory", "redis"])
def make_broker(request: pytest.FixtureRequest, io_loop: IOLoop) -> Iterator[Callable[[], Awaitable[Broker]]]:
    """``await make_broker()`` -> a connected broker of each kind."""
    yield from _factory(request.param, io_loop)


@pytest.fixture
def make_redis_broker(io_loop: IOLoop) -> Iterator[Callable[[], Awaitable[Broker]]]:
    """Redis brokers sharing one prefix, like instances of one deployment."""
    yield from _factory("redis", io_loop)


async def next_publication(broker: Broker, timeout: float = 5.0) -> Publication:
    """The next publication, skipping the ``Resync`` a Redis broker reports on connecting."""
    while True:
        item = await asyncio.wait_for(broker.next_published(), timeout)
        if isinstance(item, Publication):
            return item


async def test_delivers_only_channels_it_subscribed(make_broker):
    broker = await make_broker()
    await broker.subscribe("room:a")
    await broker.publish("room:b", b"not for us")
    await broker.publish("room:a", b"hello")
    got = await next_publication(broker)
    assert got == Publication("room:a", b"hello")


async def test_unsubscribe_stops_delivery(make_broker):
    broker = await make_broker()
    await broker.subscribe("room:a")
    await broker.subscribe("room:b")
    await broker.unsubscribe("room:a")
    await broker.publish("room:a", b"gone")
    await broker.publish("room:b", b"kept")
    assert await next_publication(broker) == Publication("room:b", b"kept")


async def test_keeps_order_within_a_channel(make_broker):
    broker = await make_broker()
    await broker.subscribe("room:a")
    for i in range(200):
        await broker.publish("room:a", str(i).encode())
    got = [int((await next_publication(broker)).payload) for _ in range(200)]
    assert got == list(range(200))


async def test_publications_reach_every_subscribed_instance(make_redis_broker):
    first, second = await make_redis_broker(), await make_redis_broker()
    await first.subscribe("business:x")
    await second.subscribe("business:x")
    await first.publish("business:x", b"staff news")
    assert await next_publication(first) == Publication("business:x", b"staff news")
    assert await next_publication(second) == Publication("business:x", b"staff news")


async def test_ping_answers_when_connected(make_broker):
    await (await make_broker()).ping()


def test_resync_is_a_value():
    assert Resync() == Resync()
