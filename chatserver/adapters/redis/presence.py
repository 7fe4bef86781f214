"""Staff presence across instances: a sorted set per business, kept alive by TTL heartbeats.

Each member is ``<instance>|<userId>`` scored by its expiry time on Redis's clock. An instance
adds its member when the user's first connection opens, removes it when the last one closes,
and refreshes all of its members every third of the TTL. An instance that dies (``kill -9``,
lost host) stops refreshing, so its staff go offline when the TTL runs out. Reads count only
unexpired members; while Redis is unreachable an instance answers from its own connections.
"""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisError

from chatserver.adapters.redis.broker import command_client
from chatserver.ports.presence import LocalConnections

log = logging.getLogger("chatserver.presence")

TOUCH = """
local ttl = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[i + 1])
  redis.call('PEXPIRE', key, ttl * 2)
end
return #KEYS
"""

ONLINE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
"""

Down = (RedisError, OSError, TimeoutError)


class RedisPresence:
    def __init__(self, url: str, *, prefix: str = "", instance_id: str, ttl_ms: int = 30_000) -> None:
        if "|" in instance_id:
            raise ValueError("instance_id must not contain '|'")
        self._client = command_client(url)
        self._prefix = prefix
        self._instance = instance_id
        self._ttl_ms = ttl_ms
        self._touch = self._client.register_script(TOUCH)
        self._online = self._client.register_script(ONLINE)
        self.local = LocalConnections()
        self._heartbeat: asyncio.Task[None] | None = None

    def _key(self, business_id: str) -> str:
        return f"{self._prefix}presence:{business_id}"

    def _member(self, user_id: str) -> str:
        return f"{self._instance}|{user_id}"

    async def start(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name="presence-heartbeat")

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        try:
            for business_id, user_id in self.local.entries():
                await self._client.zrem(self._key(business_id), self._member(user_id))
        except Down as exc:
            log.info("redis: presence not cleared (%r); it expires with its TTL", exc)
        self.local = LocalConnections()
        await self._client.aclose()

    async def connected(self, business_id: str, user_id: str) -> None:
        if self.local.add(business_id, user_id):
            await self._write([(business_id, user_id)])

    async def disconnected(self, business_id: str, user_id: str) -> None:
        if self.local.remove(business_id, user_id):
            try:
                await self._client.zrem(self._key(business_id), self._member(user_id))
            except Down as exc:
                log.info("redis: presence not cleared (%r); it expires with its TTL", exc)

    async def online_staff(self, business_id: str) -> frozenset[str]:
        try:
            members = await self._online(keys=[self._key(business_id)])
        except Down as exc:
            log.warning("redis: presence answered locally (%r)", exc)
            return self.local.users(business_id)
        return frozenset(m.decode().partition("|")[2] for m in members) | self.local.users(business_id)

    async def staff_online(self, business_id: str) -> bool:
        return bool(await self.online_staff(business_id))

    async def heartbeat(self) -> None:
        """Refresh every entry of this instance (also re-adds them after a Redis restart)."""
        await self._write(self.local.entries())

    async def _write(self, entries: list[tuple[str, str]]) -> None:
        if not entries:
            return
        keys = [self._key(b) for b, _ in entries]
        args: list[str | int] = [self._ttl_ms, *(self._member(u) for _, u in entries)]
        try:
            await self._touch(keys=keys, args=args)
        except Down as exc:
            log.warning("redis: presence not written (%r); the heartbeat retries", exc)

    async def _beat(self) -> None:
        """Supervised: a failed beat is logged inside ``_write``; cancellation ends the loop."""
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                await self.heartbeat()
            except Exception:
                log.exception("presence heartbeat failed")
