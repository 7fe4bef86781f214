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
from dataclasses import dataclass, field
from typing import Any

from chatserver import __version__
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
from chatserver.client.models import RECONNECTED, ROOM_LOST, SESSION_RESET, Event, Identity, Joined, Message, Page
from chatserver.protocol import CloseCode, ErrorCode, events

log = logging.getLogger("chatserver.client")

RETRYABLE = {ErrorCode.UNAVAILABLE.value, ErrorCode.INTERNAL.value, ErrorCode.RATE_LIMITED.value}
ROOM_GONE = {ErrorCode.FORBIDDEN.value, ErrorCode.NOT_FOUND.value}
MESSAGE_EVENTS = (events.NEW_MESSAGE, events.FAQ_RESPONSE)


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Tuning; the defaults suit a bot on the public internet."""

    ack_timeout: float = 10.0  # seconds without an ack before the connection is presumed dead
    connect_timeout: float = 10.0
    ping_interval: float | None = 20.0  # seconds between client pings; a silent connection is replaced
    reconnect: bool = True
    backoff_base: float = 0.5  # first reconnect delay, doubling …
    backoff_max: float = 30.0  # … up to this, ±50 % jitter
    max_events: int = 10_000  # events buffered for the application
    max_held: int = 1_000  # out-of-order messages kept per room while it catches up
    page_size: int = 100  # history page used to catch up
    user_agent: str = f"chatserver-client/{__version__}"


@dataclass(eq=False)
class _Room:
    last_seq: int  # the highest seq handed to the application
    syncing: bool = False
    overflowed: bool = False  # held messages were dropped: read history again before finishing
    held: dict[int, Event] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    def hold(self, seq: int, event: Event, limit: int) -> None:
        if len(self.held) >= limit:
            self.held.clear()  # they will be read back from history
            self.overflowed = True
        self.held[seq] = event


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
        self._rooms: dict[str, _Room] = {}
        self._orphans: dict[str, list[Event]] = {}
        self._joins_in_flight = 0
        self._events: EventBuffer[Event] = EventBuffer(self.options.max_events)
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
        self._joins_in_flight += 1
        try:
            reply = await self._call(events.JOIN_ROOM, {k: v for k, v in data.items() if v is not None}, retry=True)
        finally:
            self._joins_in_flight -= 1
        room = reply["room"]
        rid = str(room["_id"])
        messages = [Message.from_wire(m) for m in reply.get("messages", [])]
        has_more = bool(reply.get("hasMore"))
        early = self._orphans.pop(rid, [])
        state = self._rooms.get(rid)
        if state is not None:
            joined = Joined(room, messages, has_more)
        elif after_seq is None:
            head = messages[-1].seq if messages else 0
            if not has_more:
                head = max(head, int(room.get("lastSeq", 0)))
            self._rooms[rid] = _Room(last_seq=head)
            joined = Joined(room, messages, has_more)
        else:
            state = self._rooms[rid] = _Room(last_seq=after_seq, syncing=True)
            pushed = [Event(_event_of(m), m.raw) for m in messages]
            self._start_sync(rid, first=(pushed, has_more))
            joined = Joined(room, [], has_more)
        for event in early:
            self._on_message(event)
        if not self._joins_in_flight:
            for leftover in [e for events_ in self._orphans.values() for e in events_]:
                self._on_message(leftover)
            self._orphans.clear()
        return joined

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
        state = self._rooms.get(room_id)
        return None if state is None else state.last_seq

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
            for state in self._rooms.values():
                if state.task is not None:
                    state.task.cancel()
            self._rooms.clear()
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
            for room_id in list(self._rooms):
                self._start_sync(room_id, resume=True)

    def _stop(self, failure: ClientError) -> None:
        self._failure = failure
        for task in list(self._tasks):
            task.cancel()
        self._events.close()
        self._connected.set()

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
            self._on_message(event)
        elif not self._events.offer(event):
            log.warning("event buffer full: dropping %s", name)

    def _on_message(self, event: Event) -> None:
        try:
            message = Message.from_wire(event.data)
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring a malformed %s", event.name)
            return
        state = self._rooms.get(message.room_id)
        if state is None:
            if self._joins_in_flight:  # probably the room being joined: wait for the join's reply
                early = self._orphans.setdefault(message.room_id, [])
                if len(early) < self.options.max_held:
                    early.append(event)
                return
            state = self._rooms[message.room_id] = _Room(last_seq=message.seq - 1)  # followed by sending
        if message.seq <= state.last_seq:
            return
        if state.syncing:
            state.hold(message.seq, event, self.options.max_held)
            return
        if message.seq == state.last_seq + 1 and self._events.offer(event):
            state.last_seq = message.seq
            return
        state.hold(message.seq, event, self.options.max_held)  # a gap, or the application is behind
        self._start_sync(message.room_id)

    # catching up

    def _start_sync(self, room_id: str, *, resume: bool = False, first: tuple[list[Event], bool] | None = None) -> None:
        state = self._rooms[room_id]
        if state.task is not None and not state.task.done():
            if not resume:
                return
            state.task.cancel()
        state.syncing = True
        state.task = self._spawn(self._sync(room_id, state, resume=resume, first=first))

    async def _sync(self, room_id: str, state: _Room, *, resume: bool, first: tuple[list[Event], bool] | None) -> None:
        """Read the room from ``last_seq`` to its head (join with ``afterSeq`` when resuming, then
        history while ``hasMore``), merging messages held meanwhile; then live delivery resumes."""
        attempt = 0
        page = first
        while True:
            try:
                conn = await self._live()
                if page is None:
                    event = events.JOIN_ROOM if resume else events.HISTORY
                    reply = await conn.call(
                        event,
                        {"roomId": room_id, "afterSeq": state.last_seq, "limit": self.options.page_size},
                        timeout=self.options.ack_timeout,
                    )
                    resume = False
                    items = [Event(_event_of(Message.from_wire(m)), m) for m in reply.get("messages", [])]
                    page = (items, bool(reply.get("hasMore")))
                for item in page[0]:
                    await self._deliver(state, item)
                await self._drain(state)
                behind = bool(state.held) and min(state.held) > state.last_seq + 1
                if not (page[1] or state.overflowed or behind):
                    break
                state.overflowed = False
                page = None
            except RequestFailed as exc:
                if exc.code in ROOM_GONE:
                    self._rooms.pop(room_id, None)
                    self._events.offer(Event(ROOM_LOST, {"roomId": room_id, "code": exc.code, "message": exc.message}))
                    return
                await asyncio.sleep(self._delay(attempt))
                attempt += 1
                page = None
            except AckTimeout:
                if self._conn is not None:
                    self._conn.close()
                return  # the reconnect resumes this room
            except ConnectionClosed:
                return  # the reconnect resumes this room
            except (ClientClosed, AuthRejected):
                return  # the client stopped
        state.syncing = False

    async def _deliver(self, state: _Room, event: Event) -> None:
        seq = int(event.data["seq"])
        if seq <= state.last_seq:
            return
        await self._events.put(event)
        state.last_seq = seq

    async def _drain(self, state: _Room) -> None:
        while state.held:
            low = min(state.held)
            if low > state.last_seq + 1:
                return
            event = state.held.pop(low)
            await self._deliver(state, event)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and not isinstance(task.exception(), ClientClosed):
            log.error("client: background task failed", exc_info=task.exception())


def _event_of(message: Message) -> str:
    return events.FAQ_RESPONSE if message.faq_id else events.NEW_MESSAGE
