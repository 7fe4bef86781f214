"""``/realtime``: the WebSocket endpoint. Authenticates, feeds frames to the gateway, writes."""

from __future__ import annotations

import asyncio
import logging
from asyncio import Future
from collections.abc import Iterable
from typing import Any, cast

from tornado.httputil import HTTPHeaders
from tornado.iostream import StreamClosedError
from tornado.web import RequestHandler
from tornado.websocket import WebSocketHandler, WebSocketProtocol13

from chatserver.adapters.http.frames import text_frames
from chatserver.adapters.http.ops import INSTANCE_HEADER
from chatserver.adapters.http.pinger import Pinger
from chatserver.adapters.http.redaction import RedactedLogs
from chatserver.adapters.metrics import Metrics
from chatserver.domain.models import Role
from chatserver.fanout.hub import Frames
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


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    return "*" in allowed or origin.rstrip("/").lower() in allowed


def printable(text: str, limit: int) -> str:
    """Header text fit to store: control characters (NUL included) dropped, length bounded."""
    return "".join(ch for ch in text[: limit * 2] if ch.isprintable())[:limit]


def bearer_token(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


# tornado's own attributes of a WebSocket handler, in the order it sets them during a connection
# (tests/adapters/http/test_connection_memory.py checks this against a live handler)
TORNADO_ATTRIBUTES = (
    "application",
    "request",
    "_headers_written",
    "_finished",
    "_auto_finish",
    "_prepared_future",
    "ui",
    "_headers",
    "_write_buffer",
    "_status_code",
    "_reason",
    "ws_connection",
    "close_code",
    "close_reason",
    "_on_close_called",
    "_transforms",
    "path_args",
    "path_kwargs",
    "open_args",
    "open_kwargs",
    "write",
    "redirect",
    "set_header",
    "set_cookie",
    "set_status",
    "flush",
    "finish",
)


class RealtimeHandler(RedactedLogs, WebSocketHandler):
    """One instance per connection; all state lives on the instance, none on the class.

    Ours is in slots, not the instance dict: tornado's own attributes then fit CPython's
    shared-key layout (at most 30 names per class), which stores only the values, instead of
    the dict of its own every instance needs beyond that (with ``prime_attribute_layout``:
    1.1 KiB of RSS a connection less, ``scripts/bench/memory.py``)."""

    __slots__ = (
        "address",
        "addresses",
        "allowed_origins",
        "awaiting_pong",
        "client",
        "disconnected",
        "gateway",
        "kind",
        "last_write",
        "max_send_queue_bytes",
        "metrics",
        "opening",
        "openings",
        "pending_bytes",
        "pinger",
        "tracker",
    )

    def initialize(
        self,
        gateway: Gateway,
        tracker: set[RealtimeHandler],
        addresses: ConnectionsPerAddress,
        openings: asyncio.Semaphore,
        allowed_origins: tuple[str, ...],
        max_send_queue_bytes: int,
        metrics: Metrics | None = None,
        instance_id: str | None = None,
        pinger: Pinger | None = None,
    ) -> None:
        self.gateway = gateway
        self.tracker = tracker
        self.addresses = addresses  # open connections per client address, shared by all handlers
        self.openings = openings  # handshakes being answered at once, shared by all handlers
        self.allowed_origins = allowed_origins
        self.max_send_queue_bytes = max_send_queue_bytes
        self.address: str | None = None  # set while this connection counts against its address
        self.client: Client | None = None
        self.opening: asyncio.Future[None] | None = None
        self.disconnected = False
        self.pending_bytes = 0  # written since the send buffer was last seen empty
        self.last_write: Future[None] | None = None  # the newest write still under way
        self.metrics = metrics
        self.kind: str | None = None  # counted in the connections gauge while set
        self.pinger = pinger  # keep-alive for all connections; None: no pings (WS_PING_INTERVAL=0)
        self.awaiting_pong = False
        if instance_id is not None:
            self.set_header(INSTANCE_HEADER, instance_id)

    def check_origin(self, origin: str) -> bool:
        # the server's own pages (/dashboard/, /demo) may always connect; tornado's default is same-host
        return origin_allowed(origin, self.allowed_origins) or super().check_origin(origin)

    def get_compression_options(self) -> dict[str, Any] | None:
        return None

    def open(self, *args: str, **kwargs: str) -> None:
        # not a coroutine: tornado would keep the finished one for the connection's life
        self.tracker.add(self)
        if self.pinger is not None:
            self.pinger.add(self)
        # chat frames are small and latency-bound: Nagle + delayed ACKs would hold them ~40 ms
        self.set_nodelay(True)
        remote_ip = self.request.remote_ip or ""
        if not self.addresses.acquire(remote_ip):
            log.info("refusing a connection: too many from one address")
            refusal = ChatError(ErrorCode.RATE_LIMITED, "too many connections from this address; retry later")
            self.send_text(error_frame(refusal, None))
            self.close(CloseCode.POLICY, "too many connections")
            return
        self.address = remote_ip
        credentials = Credentials(
            session_id=self.get_query_argument("sessionId", None) or None,
            token=self.get_query_argument("token", None) or bearer_token(self.request.headers.get("Authorization")),
            user_agent=printable(self.request.headers.get("User-Agent", ""), 512),
            remote_ip=remote_ip,
        )
        self._release_handshake()
        # Registration runs beside tornado's frame loop, not inside ``open``: tornado reads no
        # frame (pongs included) until ``open`` returns, so a client waiting its turn below
        # would be closed for a missed ping. Frames that arrive meanwhile wait in ``on_message``.
        self.opening = asyncio.ensure_future(self._open_client(credentials))

    async def _open_client(self, credentials: Credentials) -> None:
        try:
            # a reconnect storm waits here in turn instead of queueing every handshake's queries
            # in the database pool ahead of the requests of clients already connected
            async with self.openings:
                if self._gone():
                    return  # gave up while waiting
                client = await self.gateway.open(self, credentials)
        except ChatError as err:
            if self.metrics is not None:
                self.metrics.error(err.code.value)
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
            self.gateway.close_soon(client)  # closed while it was being registered
            return
        self.client = client
        if self.metrics is not None:
            self.kind = client.principal.role.value
            self.metrics.connection_opened(self.kind)

    def _release_handshake(self) -> None:
        """Let go of what tornado keeps of the HTTP upgrade for the connection's whole life but
        never reads once ``open`` has the credentials: the request's headers, query arguments and
        HTTP connection objects, the response headers, output transforms and template namespace
        (5 KiB of RSS a connection, ``scripts/bench/memory.py``). What tornado may still read (the
        status; the request's method, URI and address for its error logs) stays."""
        request = self.request
        # tornado's ``get`` holds the headers object in a local until the connection ends:
        # emptied, not dropped (its dicts' tables are freed only by ``dict.clear``)
        _empty(request.headers)
        request.arguments.clear()
        request.query_arguments.clear()
        # the HTTP/1 connection, its serving task, address context and request line; the stream
        # they shared is the WebSocket's now and is closed through it
        request.connection = request.server_connection = None
        _empty(self._headers)
        self._transforms.clear()  # also held by the frame of tornado's ``_execute``
        RequestHandler._break_cycles(self)  # the template namespace, a cycle through this handler

    def _gone(self) -> bool:
        return self.disconnected or self.ws_connection is None or self.ws_connection.is_closing()

    async def on_message(self, message: str | bytes) -> None:
        if self.metrics is not None:
            self.metrics.frame_in()
        if self.opening is not None and not self.opening.done():
            await self.opening
        # frames still arriving after the server closed (4408, 4429, 1001) are not processed
        if self.client is not None and not self._gone():
            await self.gateway.receive(self.client, message)

    def on_close(self) -> None:
        self.disconnected = True
        self.tracker.discard(self)
        if self.pinger is not None:
            self.pinger.discard(self)
        if self.metrics is not None and self.kind is not None:
            self.metrics.connection_closed(self.kind)
            self.kind = None
        if self.address is not None:
            address, self.address = self.address, None
            self.addresses.release(address)
        if self.client is not None:
            client, self.client = self.client, None
            self.gateway.close_soon(client)

    # Keep-alive (``Pingable``, for the pinger)

    def on_pong(self, data: bytes) -> None:
        self.awaiting_pong = False

    def send_ping(self) -> None:
        connection = self.ws_connection
        if connection is None or connection.is_closing():
            return
        try:
            connection.write_ping(b"")
        except StreamClosedError:
            return

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
        """Write framed ``data`` without waiting; a client that lets too much pile up is closed (4408).

        The bytes go to the stream, whose future is done at once when the socket took
        everything (tornado's ``write_message`` wraps each frame's write in a new task only to
        rename its error). ``pending_bytes`` counts what was written since the send buffer was
        last seen empty (the newest write's future done means it drained): no callback per
        frame, and never less than what really waits."""
        connection = self.ws_connection
        if connection is None or connection.is_closing():
            return
        size = len(data)
        if self.last_write is not None and self.last_write.done():
            self.pending_bytes, self.last_write = 0, None
        if self.pending_bytes + size > self.max_send_queue_bytes:
            log.info("closing a slow consumer with %d bytes unsent", self.pending_bytes)
            self.close(CloseCode.SLOW_CONSUMER, "slow consumer")
            return
        try:
            future = cast(WebSocketProtocol13, connection).stream.write(data)
        except StreamClosedError:
            return
        if self.metrics is not None:
            self.metrics.frame_out(count)
        if not future.done():
            self.pending_bytes += size
            self.last_write = future
            future.add_done_callback(_consume)


def _consume(future: Future[None]) -> None:
    """A failed write needs no handling here (closing the connection does it); its exception
    is read so asyncio does not log it as never retrieved."""
    if not future.cancelled():
        exc = future.exception()
        if exc is not None and not isinstance(exc, StreamClosedError):
            log.debug("write failed: %r", exc)


def prime_attribute_layout() -> None:
    """Give every handler the compact attribute storage, whatever the first connections do.

    CPython 3.11 stores an instance's attributes as a bare array of values when their names are
    in its class's shared key table (``TORNADO_ATTRIBUTES``: about 260 bytes a handler); a name
    that does not fit gives the instance a dict of its own (830 bytes more). The table takes
    new names only while it has room, and each instance created shrinks that room by one: after
    a burst of concurrent handshakes at start-up, before any had reached tornado's later
    attributes, there was no room left for them and every handler of the process paid for a
    dict. Setting them all on a throwaway instance at once, before any connection, enters them
    first. Harmless where the interpreter lays attributes out otherwise."""
    probe = RealtimeHandler.__new__(RealtimeHandler)
    for name in TORNADO_ATTRIBUTES:
        setattr(probe, name, None)


def _empty(headers: HTTPHeaders) -> None:
    """Drop every header and the tables that held them (``clear`` from ``MutableMapping``
    removes entries one by one, which leaves a dict its full size)."""
    headers._as_list.clear()
    headers._combined_cache.clear()


def close_revoked(handlers: Iterable[RealtimeHandler], subs: set[str]) -> int:
    """Close the connections of staff whose tokens were revoked (``TokenVersions.on_revoked``):
    an ``auth_invalid`` error frame, then 4401, as a refused token at the handshake gets.
    Returns how many were closed."""
    closed = 0
    for handler in list(handlers):
        client = handler.client
        if client is None or client.principal.role is not Role.STAFF or client.principal.user_id not in subs:
            continue
        handler.send_text(error_frame(ChatError(ErrorCode.AUTH_INVALID, "token revoked"), None))
        handler.close(CloseCode.AUTH_INVALID, "token revoked")
        closed += 1
    if closed:
        log.info("closed %d connection(s) of revoked staff tokens", closed)
    return closed
