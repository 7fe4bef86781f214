"""Redis broker: per-channel pub/sub between instances, reconnecting without losing a wish.

One connection listens (``SUBSCRIBE`` per room or business channel: the hub subscribes on the
first local member and unsubscribes on the last, so no instance decodes traffic it does not
need); a pooled client publishes. The broker remembers the channels it should follow:
``subscribe`` while Redis is unreachable records the wish and returns. After every
(re)connection the listener subscribes them all again, waits for Redis to confirm, and yields
``Resync`` so the hub catches every room up from the store. A publication that cannot be sent
is kept (bounded) and sent after reconnecting. Only modules named ``redis*`` import redis.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

from chatserver.ports.broker import Publication, Resync

log = logging.getLogger("chatserver.broker")

BrokerDown = (RedisError, OSError, TimeoutError)


def command_client(url: str) -> aioredis.Redis:
    """A client for short commands: fails fast (one quick retry) so a Redis outage never stalls a send."""
    return aioredis.Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=2,
        socket_keepalive=True,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
    )


class _Session:
    """One listening connection. Any reconnection of it (redis-py reconnects inside commands)
    marks it lost: the listener then starts a new session and resyncs, never trusting a
    connection that may have missed publications."""

    def __init__(self, pubsub: PubSub) -> None:
        self.pubsub = pubsub
        self.lost = False
        self.initial: list[asyncio.Future[None]] = []
        self.resynced = False

    async def on_reconnect(self, _conn: Connection) -> None:
        self.lost = True


class RedisBroker:
    """``Broker`` over Redis pub/sub. Channel ``room:<id>`` is the Redis channel ``<prefix>room:<id>``."""

    reaches_other_instances = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        max_pending: int = 10_000,
        confirm_timeout: float = 5.0,
        backoff_cap: float = 5.0,
        on_reconnect: Callable[[], None] | None = None,
    ) -> None:
        self._prefix = prefix
        self._client = command_client(url)
        # the listening client never retries by itself: a dropped connection must end the session
        self._sub_client = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=10, retry=Retry(NoBackoff(), 0)
        )
        self._control = f"{prefix}broker:{secrets.token_hex(8)}"  # keeps the connection in subscribed mode
        self._wanted: set[str] = set()
        self._queue: asyncio.Queue[Publication | Resync] = asyncio.Queue(maxsize=max_pending)
        self._session: _Session | None = None
        self._confirms: dict[str, deque[asyncio.Future[None]]] = {}
        self._lock = asyncio.Lock()  # orders SUBSCRIBE/UNSUBSCRIBE on the wire
        self._backlog: deque[tuple[str, bytes]] = deque(maxlen=max_pending)
        self._listener: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._established = asyncio.Event()
        self._confirm_timeout = confirm_timeout
        self._backoff_cap = backoff_cap
        self._on_reconnect = on_reconnect
        self._sessions = 0

    def _key(self, channel: str) -> str:
        return self._prefix + channel

    # lifecycle

    async def connect(self) -> None:
        """Start listening; wait a little for the first connection, but start anyway without it
        (``/readyz`` says not ready until Redis answers)."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="redis-broker-listener")
        try:
            await asyncio.wait_for(self._established.wait(), self._confirm_timeout)
        except TimeoutError:
            log.warning("redis: not reachable yet; serving and retrying in the background")

    async def close(self) -> None:
        for task in (self._listener, self._flusher):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in (self._listener, self._flusher) if t is not None), return_exceptions=True)
        self._listener = self._flusher = None
        self._wanted.clear()
        await self._sub_client.aclose()
        await self._client.aclose()

    # Broker

    async def subscribe(self, channel: str) -> None:
        """Follow ``channel``; returns once Redis confirmed, or at once when Redis is down (the
        wish is kept and subscribed after reconnecting, followed by ``Resync``)."""
        self._wanted.add(channel)
        key = self._key(channel)
        try:
            async with self._lock:
                session = self._session
                if session is None:
                    return
                confirmed = asyncio.get_running_loop().create_future()
                self._confirms.setdefault(key, deque()).append(confirmed)
                await session.pubsub.subscribe(key)
            await asyncio.wait_for(asyncio.shield(confirmed), self._confirm_timeout)
        except BrokerDown as exc:
            log.warning("redis: subscribing %s deferred until reconnected: %r", channel, exc)

    async def unsubscribe(self, channel: str) -> None:
        self._wanted.discard(channel)
        try:
            async with self._lock:
                if self._session is not None:
                    await self._session.pubsub.unsubscribe(self._key(channel))
        except BrokerDown as exc:
            log.info("redis: unsubscribe %s not sent (%r); the next connection will not subscribe it", channel, exc)

    async def publish(self, channel: str, payload: bytes) -> None:
        """Send now, or keep it for after reconnecting; never raises for an outage."""
        if self._session is None:
            self._keep(channel, payload)
            return
        try:
            await self._client.publish(self._key(channel), payload)
        except BrokerDown as exc:
            log.warning("redis: publish to %s failed (%r); kept for after reconnecting", channel, exc)
            self._keep(channel, payload)

    async def next_published(self) -> Publication | Resync:
        return await self._queue.get()

    async def ping(self) -> None:
        """Raises unless Redis answers and this instance is subscribed."""
        if self._session is None:
            raise ConnectionError("redis: not connected")
        await asyncio.wait_for(self._client.ping(), 2)

    # listening

    async def _listen(self) -> None:
        """Supervised loop: one session per connection; back off (capped, with jitter) between."""
        failures = 0
        while True:
            session = _Session(self._sub_client.pubsub())
            try:
                await self._run_session(session)
            except asyncio.CancelledError:
                raise
            except BrokerDown as exc:
                log.warning("redis: connection lost (%r); reconnecting", exc)
            except Exception:
                log.exception("redis: listener failed; reconnecting")
            finally:
                await self._end_session(session)
            failures = 1 if session.resynced else failures + 1
            await asyncio.sleep(min(self._backoff_cap, 0.05 * 2**failures) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter

    async def _run_session(self, session: _Session) -> None:
        async with self._lock:
            keys = [self._control, *(self._key(c) for c in self._wanted)]
            loop = asyncio.get_running_loop()
            for key in keys:
                confirmed = loop.create_future()
                self._confirms.setdefault(key, deque()).append(confirmed)
                session.initial.append(confirmed)
            await session.pubsub.subscribe(*keys)
            conn = session.pubsub.connection
            assert conn is not None
            conn.register_connect_callback(session.on_reconnect)
            self._session = session
        while not session.lost:
            message = await session.pubsub.get_message(timeout=1.0)
            if message is not None:
                await self._handle(session, message)
        raise ConnectionError("the listening connection was re-established underneath")

    async def _handle(self, session: _Session, message: dict[str, Any]) -> None:
        kind = message["type"]
        raw = message["channel"]
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        if kind == "subscribe":
            waiting = self._confirms.get(key)
            if waiting:
                waiting.popleft().set_result(None)
                if not waiting:
                    del self._confirms[key]
            if not session.resynced and all(f.done() for f in session.initial):
                await self._established_session(session)
        elif kind == "message" and key != self._control and key.startswith(self._prefix):
            data = message["data"]
            assert isinstance(data, bytes)
            await self._queue.put(Publication(key[len(self._prefix) :], data))

    async def _established_session(self, session: _Session) -> None:
        session.resynced = True
        self._sessions += 1
        if self._sessions > 1:
            log.info("redis: reconnected; resubscribed %d channels", len(self._wanted))
            if self._on_reconnect is not None:
                self._on_reconnect()
        self._established.set()
        await self._queue.put(Resync())
        if self._backlog and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush(), name="redis-broker-flush")

    async def _end_session(self, session: _Session) -> None:
        if self._session is session:
            self._session = None
        self._established.clear()
        for waiting in self._confirms.values():
            for confirmed in waiting:
                if not confirmed.done():
                    confirmed.set_result(None)  # the wish is kept; the next session subscribes it
        self._confirms.clear()
        try:
            await session.pubsub.aclose()
        except BrokerDown:
            log.debug("redis: closing a lost connection failed", exc_info=True)

    # publications kept during an outage

    def _keep(self, channel: str, payload: bytes) -> None:
        if len(self._backlog) == self._backlog.maxlen:
            log.warning("redis: outage backlog full; dropping the oldest (receivers fill gaps from the store)")
        self._backlog.append((channel, payload))

    async def _flush(self) -> None:
        while self._backlog and self._session is not None:
            channel, payload = self._backlog[0]
            try:
                await self._client.publish(self._key(channel), payload)
            except BrokerDown:
                return  # the next session flushes again
            self._backlog.popleft()


async def publish_once(url: str, channel: str, payload: bytes, *, prefix: str = "") -> None:
    """One publication from a process that runs no broker (the CLI's erase signals the running
    instances). Raises ``ConnectionError`` when Redis cannot be reached: the caller says so."""
    client = aioredis.from_url(url)
    try:
        await client.publish(prefix + channel, payload)
    except RedisError as exc:
        raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        await client.aclose()
