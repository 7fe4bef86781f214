"""``ChatClient``: the asyncio client for bots, back-end integrations and tests.

It follows protocol.md §9 so applications do not have to: reconnect with backoff and jitter,
resume every room from the last ``seq`` it delivered (join with ``afterSeq``, then history while
``hasMore``), deliver each room's messages once and in ``seq`` order, and resend a message with
the same ``clientMsgId`` until it is acknowledged.

Delivery to the application goes through a bounded buffer. When the application falls behind,
live messages are not queued without limit: the room is marked behind and its messages are
read back from history once there is room again, so nothing is lost and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

from chatserver.client.backoff import backoff_delay
from chatserver.client.buffer import EventBuffer
from chatserver.client.connection import INVALID, Connection, Frame
from chatserver.client.errors import (
    AckTimeout,
    AuthRejected,
    ClientClosed,
    ClientError,
    ConnectionClosed,
    RequestFailed,
)
from chatserver.client.models import RECONNECTED, SESSION_RESET, Event, Identity, Joined, Message, Page
from chatserver.client.options import ClientOptions
from chatserver.client.rooms import RoomTracker
from chatserver.protocol import CloseCode, ErrorCode, events

log = logging.getLogger("chatserver.client")

RETRYABLE = {ErrorCode.UNAVAILABLE.value, ErrorCode.INTERNAL.value, ErrorCode.RATE_LIMITED.value}
MESSAGE_EVENTS = (events.NEW_MESSAGE, events.FAQ_RESPONSE)


class ChatClient:
    """A connection to a chatserver that survives disconnects.

    ``token`` connects as a customer or staff member; otherwise as a guest, resuming
    ``session_id`` when given (read ``client.session_id`` after connecting and keep it).
    Use as ``async with ChatClient(url) as client:`` and ``async for event in client:``.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        session_id: str | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        self.url = url
        self.options = options or ClientOptions()
        self.identity: Identity | None = None
        self.reconnects = 0
        self._token = token
        self._session_id = session_id
        self._conn: Connection | None = None
        self._connected = asyncio.Event()
        self._reattached = asyncio.Event()
        self._events: EventBuffer[Event] = EventBuffer(self.options.max_events)
        self._rooms = RoomTracker(
            self._events, self.options, live=self._live, drop=self._drop, delay=self._delay, spawn=self._spawn
        )
        self._supervisor: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._failure: ClientError | None = None

    # lifecycle

    @property
    def session_id(self) -> str | None:
        """The guest's current sessionId (it changes if the old one had expired)."""
        return self._session_id

    async def connect(self) -> Identity:
        """Open the first connection. Raises ``AuthRejected`` for a refused token, or
        ``ConnectionClosed`` / ``OSError`` when the server cannot be reached."""
        conn, identity = await self._open()
        self._attach(conn, identity)
        self._supervisor = asyncio.create_task(self._supervise(), name="chat-client")
        return identity

    async def close(self) -> None:
        """Close the connection; iteration ends after the events already buffered."""
        self._closing = True
        tasks = [t for t in [self._supervisor, *self._tasks] if t is not None and t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._conn is not None:
            await self._conn.aclose()
        self._events.close()
        self._connected.set()  # wake waiters: they see the client is closed

    async def __aenter__(self) -> ChatClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __aiter__(self) -> ChatClient:
        return self

    async def __anext__(self) -> Event:
        """The next event. Ends when the client is closed; raises the terminal error (e.g.
        ``AuthRejected``) if the client stopped by itself."""
        event = await self._events.get()
        if event is None:
            if self._failure is not None:
                raise self._failure
            raise StopAsyncIteration
        return event

    async def reconnect(self) -> None:
        """Drop the connection now and wait until a new one is up and rooms are resuming."""
        attached = self._reattached
        if self._conn is not None:
            self._conn.close()
        await self._wait(attached.wait())

    # requests

    async def join_room(
        self,
        *,
        business_id: str | None = None,
        room_id: str | None = None,
        user_name: str | None = None,
        email: str | None = None,
        after_seq: int | None = None,
    ) -> Joined:
        """Open the conversation with ``business_id`` (guests, customers) or the room ``room_id``
        and follow it. Without ``after_seq`` the reply carries the latest page and later messages
        come through iteration; with it, every message after ``after_seq`` comes through
        iteration, in order, and ``Joined.messages`` is empty."""
        data = {
            "businessId": business_id,
            "roomId": room_id,
            "userName": user_name,
            "email": email,
            "afterSeq": after_seq,
            "limit": self.options.page_size if after_seq is not None else None,
        }
        self._rooms.joins_in_flight += 1
        try:
            reply = await self._call(events.JOIN_ROOM, {k: v for k, v in data.items() if v is not None}, retry=True)
        finally:
            self._rooms.joins_in_flight -= 1
        return self._rooms.joined(reply, after_seq)

    async def send(
        self, room_id: str, content: str, *, client_msg_id: str | None = None, timeout: float | None = None
    ) -> Message:
        """Send and return the stored message. Retried with the same ``clientMsgId`` across
        reconnects, ``unavailable``/``internal`` and ``rate_limited`` until acknowledged (or
        ``timeout`` seconds pass); other refusals raise ``RequestFailed``. The message also
        comes back through iteration, like every message of a followed room."""
        data = {"roomId": room_id, "content": content, "clientMsgId": client_msg_id or str(uuid.uuid4())}
        reply = await self._call(events.SEND_MESSAGE, data, retry=True, timeout=timeout)
        return Message.from_wire(reply)

    async def history(
        self, room_id: str, *, before_seq: int | None = None, after_seq: int | None = None, limit: int | None = None
    ) -> Page:
        """A page of the room's messages, oldest first (``chat:history``)."""
        data = {"roomId": room_id, "beforeSeq": before_seq, "afterSeq": after_seq, "limit": limit}
        reply = await self._call(events.HISTORY, {k: v for k, v in data.items() if v is not None}, retry=True)
        return Page(room_id, [Message.from_wire(m) for m in reply.get("messages", [])], bool(reply.get("hasMore")))

    async def request(
        self, event: str, data: dict[str, Any] | None = None, *, retry: bool = False, timeout: float | None = None
    ) -> dict[str, Any]:
        """Any request (e.g. events newer than this client); its ack data or ``RequestFailed``.
        Set ``retry`` only for requests that are safe to repeat."""
        return await self._call(event, data or {}, retry=retry, timeout=timeout)

    def last_seq(self, room_id: str) -> int | None:
        """The highest ``seq`` of ``room_id`` delivered to the application, if the room is followed."""
        return self._rooms.last_seq(room_id)

    # connections

    async def _open(self) -> tuple[Connection, Identity]:
        conn = await Connection.open(
            self.url,
            token=self._token,
            session_id=None if self._token else self._session_id,
            headers={"User-Agent": self.options.user_agent},
            connect_timeout=self.options.connect_timeout,
            ping_interval=self.options.ping_interval,
        )
        try:
            first = await conn.handshake(self.options.connect_timeout)
        except BaseException:
            await conn.aclose()
            raise
        return conn, Identity.from_first_frame(first)

    def _attach(self, conn: Connection, identity: Identity) -> None:
        previous = self.identity
        self.identity = identity
        if identity.session_id:
            self._session_id = identity.session_id
        self._conn = conn
        conn.divert(self._on_push)
        if previous is not None and previous.user_id != identity.user_id:
            # a guest whose session expired came back as a new guest: its rooms are not its own any more
            self._rooms.forget_all()
            self._events.offer(Event(SESSION_RESET, {"guestId": identity.user_id, "previousGuestId": previous.user_id}))
        self._connected.set()
        attached, self._reattached = self._reattached, asyncio.Event()
        attached.set()

    async def _supervise(self) -> None:
        """Wait for the connection to end; reconnect with backoff and resume every room."""
        while True:
            conn = self._conn
            assert conn is not None
            code = await conn.wait_closed(None)
            self._connected.clear()
            if self._closing:
                return
            if code == CloseCode.AUTH_INVALID:
                self._stop(AuthRejected("the server closed the connection with 4401"))
                return
            if not self.options.reconnect:
                self._stop(ConnectionClosed(code, conn.socket.close_reason))
                return
            attempt = 0
            while True:
                if attempt or code != CloseCode.GOING_AWAY:  # 1001: another instance answers at once
                    await asyncio.sleep(self._delay(attempt))
                try:
                    new, identity = await self._open()
                except AuthRejected as exc:
                    self._stop(exc)
                    return
                except (ClientError, OSError) as exc:
                    log.info("reconnect attempt %d failed: %s", attempt + 1, exc)
                    attempt += 1
                    continue
                break
            self.reconnects += 1
            self._attach(new, identity)
            self._events.offer(Event(RECONNECTED, {"attempts": attempt + 1}))
            self._rooms.resume_all()

    def _stop(self, failure: ClientError) -> None:
        self._failure = failure
        for task in list(self._tasks):
            task.cancel()
        self._events.close()
        self._connected.set()

    def _drop(self) -> None:
        """Close the current connection (it stopped answering); the supervisor replaces it."""
        if self._conn is not None:
            self._conn.close()

    def _delay(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.options.backoff_base, cap=self.options.backoff_max)

    async def _live(self) -> Connection:
        """The current connection, waiting while reconnecting."""
        while True:
            if self._failure is not None:
                raise self._failure
            if self._closing:
                raise ClientClosed("the client is closed")
            if self._connected.is_set() and self._conn is not None and not self._conn.closed:
                return self._conn
            self._connected.clear()
            await self._connected.wait()

    async def _wait(self, awaitable: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        try:
            while not task.done():
                if self._failure is not None:
                    raise self._failure
                if self._closing:
                    raise ClientClosed("the client is closed")
                await asyncio.wait({task}, timeout=0.5)
        finally:
            task.cancel()

    async def _call(
        self, event: str, data: dict[str, Any], *, retry: bool, timeout: float | None = None
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        attempt = 0
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise AckTimeout(f"{event} not acknowledged within {timeout:g} s")
            conn = await asyncio.wait_for(self._live(), remaining)
            try:
                reply = await conn.request(event, data, timeout=self.options.ack_timeout)
            except AckTimeout:
                conn.close()  # presumed dead; the supervisor reconnects
                if not retry:
                    raise
                continue
            except ConnectionClosed:
                if not retry:
                    raise
                continue
            if reply.error is None:
                return reply.data or {}
            failure = RequestFailed.from_wire(reply.error)
            if not retry or failure.code not in RETRYABLE:
                raise failure
            wait = self._delay(attempt)
            if failure.retry_after_ms is not None:
                wait = failure.retry_after_ms / 1000
            attempt += 1
            await asyncio.sleep(wait if remaining is None else min(wait, max(0.0, remaining)))

    # incoming

    def _on_push(self, frame: Frame) -> None:
        name = frame.get("event")
        if INVALID in frame or not isinstance(name, str):
            log.warning("ignoring a frame that is not a protocol envelope")
            return
        data = frame.get("data")
        event = Event(name, data if isinstance(data, dict) else {})
        if name in MESSAGE_EVENTS:
            self._rooms.on_message(event)
        elif not self._events.offer(event):
            log.warning("event buffer full: dropping %s", name)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and not isinstance(task.exception(), ClientClosed):
            log.error("client: background task failed", exc_info=task.exception())
