"""Rate limits: the same contract in-process and in Redis; the Redis one holds across instances
and falls back to a local window while Redis is unreachable."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tornado.ioloop import IOLoop

from chatserver.adapters.memory.limits import MemoryRateLimiter
from chatserver.adapters.redis.limits import RedisRateLimiter
from chatserver.ports.ratelimit import RateLimiter
from tests.procs import free_port
from tests.services import REDIS_URL, redis_prefix

Factory = Callable[[], RateLimiter]


@pytest.fixture
def redis_limiters(io_loop: IOLoop) -> Iterator[Factory]:
    made: list[RedisRateLimiter] = []
    with redis_prefix() as prefix:

        def make() -> RateLimiter:
            limiter = RedisRateLimiter(REDIS_URL, prefix=prefix, fallback=MemoryRateLimiter())
            made.append(limiter)
            return limiter

        yield make
        for limiter in made:
            io_loop.run_sync(limiter.close)


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest, redis_limiters: Factory) -> Factory:
    return MemoryRateLimiter if request.param == "memory" else redis_limiters


async def hits(limiter: RateLimiter, key: str, n: int, limit: int = 3) -> list[bool]:
    return [(await limiter.hit(key, limit, 60_000)).allowed for _ in range(n)]


async def test_allows_the_limit_then_refuses_with_a_retry_time(make_limiter):
    limiter = make_limiter()
    assert await hits(limiter, "k", 3) == [True, True, True]
    refused = await limiter.hit("k", 3, 60_000)
    assert not refused.allowed
    assert 0 < refused.retry_after_ms <= 60_000


async def test_keys_are_counted_apart(make_limiter):
    limiter = make_limiter()
    assert await hits(limiter, "a", 3) == [True] * 3
    assert await hits(limiter, "b", 1) == [True]


async def test_refused_hits_are_not_counted(make_limiter):
    limiter = make_limiter()
    await hits(limiter, "k", 10, limit=2)
    decision = await limiter.hit("k", 3, 60_000)  # a larger limit now: two taken, one left
    assert decision.allowed


async def test_a_window_passes(make_limiter):
    limiter = make_limiter()
    assert (await limiter.hit("k", 1, 50)).allowed
    import asyncio

    await asyncio.sleep(0.12)
    assert (await limiter.hit("k", 1, 50)).allowed


async def test_two_instances_share_one_limit(redis_limiters):
    first, second = redis_limiters(), redis_limiters()
    allowed = [(await (first if i % 2 else second).hit("guest", 5, 60_000)).allowed for i in range(12)]
    assert allowed.count(True) == 5


async def test_falls_back_to_a_local_window_when_redis_is_down(io_loop):
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0", prefix="t:", fallback=MemoryRateLimiter())
    try:
        assert await hits(limiter, "k", 4) == [True, True, True, False]
    finally:
        await limiter.close()
