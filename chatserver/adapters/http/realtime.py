"""``/realtime``: the WebSocket endpoint. Authenticates, feeds messages to the gateway, writes."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from chatserver.adapters.http.frames import text_frames
from chatserver.adapters.http.pinger import Pinger
from chatserver.adapters.http.wsstream import WebSocketStream
from chatserver.adapters.metrics import Metrics
from chatserver.domain.models import Principal, Role
from chatserver.fanout.hub import Frames
from chatserver.ports.ordering import order_hook
from chatserver.protocol import ChatError, CloseCode, ErrorCode
from chatserver.protocol.envelope import error_frame
from chatserver.realtime.gateway import Client, Credentials, Gateway
from chatserver.realtime.limits import ConnectionsPerAddress

log = logging.getLogger("chatserver.realtime")

# an error while opening a connection closes it with this code (see protocol.md §7)
OPEN_CLOSE_CODES: dict[ErrorCode, CloseCode] = {
    ErrorCode.AUTH_INVALID: CloseCode.AUTH_INVALID,
    ErrorCode.RATE_LIMITED: CloseCode.POLICY,
}


# the number of the request a handler task is answering (``RealtimeConnection.reply``)
current_request: ContextVar[int | None] = ContextVar("current_request", default=None)
INBOX_LIMIT = 32  # messages of one connection waiting their turn before reading pauses
PIPELINE_DEPTH = 16  # messages of one connection stored in order and waiting for their commit


class RealtimeOptions:
    """What every connection of the endpoint shares (one reference each, not ten)."""

    __slots__ = (
        "addresses",
        "allowed_origins",
        "gateway",
        "instance_id",
        "max_message_size",
        "max_send_queue_bytes",
        "metrics",
        "openings",
        "pinger",
        "tracker",
    )

    def __init__(
        self,
        *,
        gateway: Gateway,
        tracker: set[RealtimeConnection],
        addresses: ConnectionsPerAddress,
        openings: asyncio.Semaphore,
        allowed_origins: tuple[str, ...],
        max_send_queue_bytes: int,
        max_message_size: int,
        metrics: Metrics | None = None,
        instance_id: str | None = None,
        pinger: Pinger | None = None,
    ) -> None:
        self.gateway = gateway
        self.tracker = tracker  # the open connections (the server closes them when it drains)
        self.addresses = addresses  # open connections per client address
        self.openings = openings  # handshakes being answered at once
        self.allowed_origins = allowed_origins
        self.max_send_queue_bytes = max_send_queue_bytes
        self.max_message_size = max_message_size
        self.metrics = metrics
        self.instance_id = instance_id
        self.pinger = pinger  # keep-alive for all connections; None: no pings (WS_PING_INTERVAL=0)


class RealtimeConnection(WebSocketStream):
    """One WebSocket: authenticates, feeds messages to the gateway in order, writes.

    Messages of a connection are handled in order: one task (the ``worker``) runs while messages
    arrive, taking them from ``inbox``; reading pauses while ``INBOX_LIMIT`` wait. A message
    waits for the previous one to finish, except behind a send whose append is queued in the
    store (``ports/ordering.py``): then the next starts at once, up to ``PIPELINE_DEPTH`` sends
    waiting for their commit. Before, each connection was held for a whole commit per message,
    which capped a busy connection — and with 100 of them the server — at one message per
    commit round. Answers still leave in request order (``reply``)."""

    __slots__ = (
        "address",
        "awaiting_pong",
        "client",
        "credentials",
        "disconnected",
        "finished",
        "held",
        "inbox",
        "kind",
        "next_request",
        "oldest",
        "opening",
        "options",
        "paused",
        "released",
        "worker",
    )

    def __init__(self, options: RealtimeOptions, credentials: Credentials) -> None:
        super().__init__(options.max_message_size)
        self.options = options
        self.credentials: Credentials | None = credentials  # until the gateway has them
        self.address: str | None = None  # set while this connection counts against its address
        self.client: Client | None = None
        self.opening: asyncio.Future[None] | None = None
        self.disconnected = False
        self.kind: str | None = None  # counted in the connections gauge while set
        self.awaiting_pong = False
        self.inbox: deque[str | bytes] | None = None
        self.worker: asyncio.Task[None] | None = None
        self.released = 0  # handlers still running whose successors already started
        # answers in request order while several requests are handled at once: each request
        # gets a number; the answers of any but the oldest unfinished one wait in ``held``
        self.next_request = 0
        self.oldest = 0
        self.finished: set[int] | None = None
        self.held: dict[int, list[str]] | None = None
        self.paused = False

    def on_open(self) -> None:
        options = self.options
        options.tracker.add(self)
        if options.pinger is not None:
            options.pinger.add(self)
        credentials, self.credentials = self.credentials, None
        assert credentials is not None
        if not options.addresses.acquire(credentials.remote_ip):
            log.info("refusing a connection: too many from one address")
            refusal = ChatError(ErrorCode.RATE_LIMITED, "too many connections from this address; retry later")
            self.send_text(error_frame(refusal, None))
            self.close(CloseCode.POLICY, "too many connections")
            return
        self.address = credentials.remote_ip
        # messages that arrive meanwhile wait for it in ``_handle``
        self.opening = asyncio.ensure_future(self._open_client(credentials))

    async def _open_client(self, credentials: Credentials) -> None:
        options = self.options
        try:
            # a reconnect storm waits here in turn instead of queueing every handshake's queries
            # in the database pool ahead of the requests of clients already connected
            async with options.openings:
                if self._gone():
                    return  # gave up while waiting
                client = await options.gateway.open(self, credentials)
        except ChatError as err:
            if options.metrics is not None:
                options.metrics.error(err.code.value)
            self.send_text(error_frame(err, None))
            self.close(OPEN_CLOSE_CODES.get(err.code, CloseCode.INTERNAL), err.message[:100])
            return
        except Exception:
            log.exception("could not open a connection")
            self.close(CloseCode.INTERNAL, "internal error")
            return
        finally:
            self.opening = None  # done: the finished task is not kept for the connection's life
        if self._gone():
            options.gateway.close_soon(client)  # closed while it was being registered
            return
        self.client = client
        if options.metrics is not None:
            self.kind = client.principal.role.value
            options.metrics.connection_opened(self.kind)

    def _gone(self) -> bool:
        return self.disconnected or self.is_closing()

    # messages in

    def on_text(self, text: str) -> None:
        self._received(text)

    def on_binary(self, data: bytes) -> None:
        self._received(data)

    def _received(self, message: str | bytes) -> None:
        if self.options.metrics is not None:
            self.options.metrics.frame_in()
        if self.worker is None:
            self._start_worker(message)
            return
        inbox = self.inbox
        if inbox is None:
            inbox = self.inbox = deque()
        inbox.append(message)
        if len(inbox) >= INBOX_LIMIT and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _start_worker(self, message: str | bytes) -> None:
        token = order_hook.set(self._order_fixed)  # the task takes a copy of the context
        try:
            self.worker = asyncio.ensure_future(self._handle(message))
        finally:
            order_hook.reset(token)

    def _order_fixed(self) -> None:
        """The worker's message is queued in the store in order (``ports/ordering.py``): the
        next message may start while this one waits for its commit, up to ``PIPELINE_DEPTH``."""
        if asyncio.current_task() is not self.worker or self.released >= PIPELINE_DEPTH:
            return
        self.released += 1
        self.worker = None
        if self.inbox:
            self._start_worker(self._next())

    def _next(self) -> str | bytes:
        inbox = self.inbox
        assert inbox is not None
        message = inbox.popleft()
        if self.paused and len(inbox) < INBOX_LIMIT // 2 and not self._gone():
            self.paused = False
            assert self.transport is not None
            self.transport.resume_reading()
        return message

    async def _handle(self, message: str | bytes) -> None:
        """Each waiting message in turn, until none waits or a successor took over."""
        me = asyncio.current_task()
        try:
            while True:
                opening = self.opening
                if opening is not None and not opening.done():
                    await opening
                number = self.next_request
                self.next_request = number + 1
                current_request.set(number)
                try:
                    # messages still arriving after the server closed (4408, 4429, 1001) are not handled
                    if self.client is not None and not self._gone():
                        await self.options.gateway.receive(self.client, message)
                finally:
                    self._finish(number)
                if self.worker is not me or not self.inbox:
                    return
                message = self._next()
        except Exception:
            log.exception("a message could not be handled; closing the connection")
            self.abort()
        finally:
            if self.worker is me:
                self.worker = None
            else:
                self.released -= 1

    def reply(self, frame: str) -> None:
        """``ClientConnection.reply``: at once for the oldest unfinished request (always, when
        requests are handled one at a time), otherwise once every earlier request finished."""
        number = current_request.get()
        if number is None or number == self.oldest:
            self.send_text(frame)
            return
        if self.held is None:
            self.held = {}
        self.held.setdefault(number, []).append(frame)

    def _finish(self, number: int) -> None:
        if number != self.oldest:
            if self.finished is None:
                self.finished = set()
            self.finished.add(number)
            return
        self.oldest = number + 1
        # the next requests' answers may go now, and those of any that finished meanwhile
        while True:
            waiting = self.held.pop(self.oldest, None) if self.held else None
            for frame in waiting or ():
                self.send_text(frame)
            if not self.finished or self.oldest not in self.finished:
                return
            self.finished.discard(self.oldest)
            self.oldest += 1

    def on_closed(self) -> None:
        self.disconnected = True
        self.inbox = None
        options = self.options
        options.tracker.discard(self)
        if options.pinger is not None:
            options.pinger.discard(self)
        if options.metrics is not None and self.kind is not None:
            options.metrics.connection_closed(self.kind)
            self.kind = None
        if self.address is not None:
            address, self.address = self.address, None
            options.addresses.release(address)
        if self.client is not None:
            client, self.client = self.client, None
            options.gateway.close_soon(client)

    # Keep-alive (``Pingable``, for the pinger)

    def on_pong(self, data: bytes) -> None:
        self.awaiting_pong = False

    def send_ping(self) -> None:
        self.ping()

    def ping_timed_out(self) -> None:
        self.close(reason="ping timed out")  # as tornado's own keep-alive: 1000, this reason

    # Connection protocol for the hub and gateway

    def send_text(self, frame: str) -> None:
        self._write(text_frames((frame,)), 1)

    def send_frames(self, frames: Frames) -> None:
        """Several frames in one socket write, encoded once for all the connections they go to."""
        if frames.encoded is None:
            frames.encoded = text_frames(frames.texts)
        self._write(frames.encoded, len(frames.texts))

    def _write(self, data: bytes, count: int) -> None:
        """Write framed ``data`` without waiting; a client that lets more than
        ``max_send_queue_bytes`` pile up unsent is closed (4408)."""
        if self.is_closing():
            return
        if self.write_buffer_size() + len(data) > self.options.max_send_queue_bytes:
            log.info("closing a slow consumer with %d bytes unsent", self.write_buffer_size())
            self.close(CloseCode.SLOW_CONSUMER, "slow consumer")
            return
        self.write(data)
        if self.options.metrics is not None:
            self.options.metrics.frame_out(count)


def close_where(
    connections: Iterable[RealtimeConnection],
    matches: Callable[[Principal], bool],
    code: CloseCode,
    reason: str,
    *,
    notice: ChatError | None = None,
) -> int:
    """Close every open connection whose principal ``matches`` with ``code`` and ``reason``,
    after an error frame ``notice`` if given. Returns how many were closed."""
    closed = 0
    for connection in list(connections):
        client = connection.client
        if client is None or not matches(client.principal):
            continue
        if notice is not None:
            connection.send_text(error_frame(notice, None))
        connection.close(code, reason)
        closed += 1
    return closed


def close_revoked(connections: Iterable[RealtimeConnection], subs: set[str]) -> int:
    """Close the connections of staff whose tokens were revoked (``TokenVersions.on_revoked``):
    an ``auth_invalid`` error frame, then 4401, as a refused token at the handshake gets.
    Returns how many were closed."""
    closed = close_where(
        connections,
        lambda principal: principal.role is Role.STAFF and principal.user_id in subs,
        CloseCode.AUTH_INVALID,
        "token revoked",
        notice=ChatError(ErrorCode.AUTH_INVALID, "token revoked"),
    )
    if closed:
        log.info("closed %d connection(s) of revoked staff tokens", closed)
    return closed
