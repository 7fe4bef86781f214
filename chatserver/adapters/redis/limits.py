"""Rate limits that hold across instances: one atomic Lua script per hit, on Redis's clock.

The window is a sorted set of event times per key (a sliding-window log, like the in-process
limiter): trim what fell out of the window, refuse at ``limit``, otherwise add this event. One
script run is atomic, so two instances can never both take the last slot. The time comes from
Redis (``TIME``), so instances with skewed clocks agree. When Redis is unreachable the limiter
falls back to an in-process window, so a Redis outage weakens limits instead of lifting them.
"""

from __future__ import annotations

import logging
import secrets

from redis.exceptions import RedisError

from chatserver.adapters.redis.broker import command_client
from chatserver.ports.ratelimit import Decision, RateLimiter

log = logging.getLogger("chatserver.limits")

HIT = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local retry = tonumber(oldest[2]) + window - now
  if retry < 1 then retry = 1 end
  return {0, retry}
end
redis.call('ZADD', key, now, ARGV[3])
redis.call('PEXPIRE', key, window)
return {1, 0}
"""


class RedisRateLimiter:
    """``RateLimiter`` shared by every instance using the same Redis and prefix."""

    def __init__(self, url: str, *, fallback: RateLimiter, prefix: str = "") -> None:
        """``fallback`` (the composition root gives an in-process limiter) answers while Redis is down."""
        self._client = command_client(url)
        self._prefix = prefix
        self._hit = self._client.register_script(HIT)
        self._fallback = fallback

    async def hit(self, key: str, limit: int, window_ms: int) -> Decision:
        member = secrets.token_hex(8)
        try:
            allowed, retry_after = await self._hit(keys=[f"{self._prefix}rl:{key}"], args=[limit, window_ms, member])
        except (RedisError, OSError) as exc:
            log.warning("redis: rate limit checked locally (%r)", exc)
            return await self._fallback.hit(key, limit, window_ms)
        return Decision(bool(allowed), int(retry_after))

    async def close(self) -> None:
        await self._client.aclose()
