"""The HTTP server's front door: slow and half-open clients, and running out of file descriptors.

Why: a client that opens a socket and sends its request one byte every few seconds costs a file
descriptor for as long as it likes (tornado's header timeout defaults to an hour). A few hundred
of them from one address filled the file limit, after which every ``accept`` failed — and
tornado's accept handler, which does not expect that, raised on every loop iteration: no new
client got in and each failure logged a traceback (hundreds of megabytes in seconds).

Here: the request line and headers must arrive within ``header_timeout`` (tornado's
``idle_connection_timeout``, a deadline for the whole header read, not per byte); one address
may have ``max_half_open`` connections waiting for their headers, more are closed when
accepted; and an ``accept`` that fails for lack of resources pauses accepting briefly and is
logged at most once a second, with how many failed meanwhile.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream

log = logging.getLogger("chatserver.listener")

ACCEPT_BATCH = 128  # connections accepted per readiness event (tornado's own figure)
ACCEPT_PAUSE_S = 0.1  # accepting pauses this long after a failure for lack of resources
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class RateLimitedLog:
    """At most one line per ``every_s``, saying how many events it stands for."""

    def __init__(self, message: str, *, every_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._message = message
        self._every_s = every_s
        self._clock = clock
        self._last: float | None = None
        self._unlogged = 0
        self.total = 0

    def note(self, detail: str) -> None:
        self.total += 1
        self._unlogged += 1
        now = self._clock()
        if self._last is None or now - self._last >= self._every_s:
            log.warning("%s (%d in the last %s; %s)", self._message, self._unlogged, self._since(now), detail)
            self._last, self._unlogged = now, 0

    def _since(self, now: float) -> str:
        return "moment" if self._last is None else f"{now - self._last:.1f} s"


class _HeadersArrived(httputil.HTTPMessageDelegate):
    """Passes a request through, and tells when its headers arrived."""

    def __init__(self, inner: httputil.HTTPMessageDelegate, arrived: Callable[[], None]) -> None:
        self._inner = inner
        self._arrived = arrived

    def headers_received(
        self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> Any:
        self._arrived()
        return self._inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self._inner.data_received(chunk)

    def finish(self) -> None:
        self._inner.finish()

    def on_connection_close(self) -> None:
        self._arrived()
        self._inner.on_connection_close()


class GuardedHTTPServer(HTTPServer):
    """tornado's HTTP server with the limits above (``initialize`` takes them as keywords)."""

    def initialize(  # type: ignore[override]
        self, *args: Any, header_timeout: float, max_half_open: int, **kwargs: Any
    ) -> None:
        super().initialize(*args, **{**kwargs, "idle_connection_timeout": header_timeout})
        self._max_half_open = max_half_open
        self._half_open: dict[str, int] = {}  # address -> connections waiting for their headers
        self._waiting: dict[IOStream, str] = {}  # such a connection's stream -> its address
        self.accept_failures = RateLimitedLog("accepting connections failed")
        self._refusals = RateLimitedLog("closed connections over MAX_HALF_OPEN_PER_IP")

    # a cap on connections waiting for their headers, per address

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        host = str(address[0]) if address else ""
        if self._max_half_open and self._half_open.get(host, 0) >= self._max_half_open:
            self._refusals.note(f"last from {host}")
            stream.close()
            return
        self._half_open[host] = self._half_open.get(host, 0) + 1
        self._waiting[stream] = host
        super().handle_stream(stream, address)

    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        delegate = super().start_request(server_conn, request_conn)
        stream = getattr(server_conn, "stream", None)
        if stream is None or stream not in self._waiting:
            return delegate
        return _HeadersArrived(delegate, lambda: self._release(stream))

    def on_close(self, server_conn: object) -> None:
        stream = getattr(server_conn, "stream", None)
        if stream is not None:
            self._release(stream)
        super().on_close(server_conn)

    def _release(self, stream: IOStream) -> None:
        host = self._waiting.pop(stream, None)
        if host is None:
            return
        left = self._half_open[host] - 1
        if left:
            self._half_open[host] = left
        else:
            del self._half_open[host]

    # accepting without spinning when the process is out of file descriptors

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = self._accept_from(sock)

    def _accept_from(self, sock: socket.socket) -> Callable[[], None]:
        """Like ``tornado.netutil.add_accept_handler``, except that a failure for lack of
        resources stops accepting for ``ACCEPT_PAUSE_S`` (the pending connections wait in the
        kernel's queue) instead of raising on every loop iteration. Returns the remover."""
        loop = IOLoop.current()
        state = {"removed": False, "paused": False}

        def resume() -> None:
            if not state["removed"] and state["paused"]:
                state["paused"] = False
                loop.add_handler(sock, ready, IOLoop.READ)

        def ready(_fd: Any, _events: int) -> None:
            for _ in range(ACCEPT_BATCH):
                if state["removed"]:
                    return
                try:
                    connection, address = sock.accept()
                except BlockingIOError:
                    return
                except ConnectionAbortedError:
                    continue
                except OSError as exc:
                    if exc.errno not in RESOURCE_ERRORS:
                        raise
                    self.accept_failures.note(exc.strerror or str(exc))
                    state["paused"] = True
                    loop.remove_handler(sock)
                    loop.call_later(ACCEPT_PAUSE_S, resume)
                    return
                self._handle_connection(connection, address)

        def remove() -> None:
            if not state["paused"]:
                loop.remove_handler(sock)
            state["removed"] = True

        loop.add_handler(sock, ready, IOLoop.READ)
        return remove
