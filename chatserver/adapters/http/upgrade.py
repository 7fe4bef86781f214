"""The WebSocket handshake's HTTP side on tornado, and the socket handed to an asyncio protocol.

tornado parses the request (with the listener's header timeout and half-open limits), routes
it and runs the checks of tornado's own ``WebSocketHandler.get`` (the ``Upgrade`` and
``Connection`` headers, the origin, the version, the key); then the HTTP connection is detached
and its socket given to the event loop as a transport for ``wsstream.WebSocketStream``, which
writes the ``101`` answer first. Whatever tornado had already read past the request (a client
may send its first frames without waiting for the ``101``) is fed to the protocol before any
new bytes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from urllib.parse import urlparse

from tornado.httputil import HTTPServerRequest
from tornado.iostream import IOStream

from chatserver.adapters.http.wsstream import WebSocketStream

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
SUPPORTED_VERSIONS = ("7", "8", "13")


class Refusal(Exception):
    """The request is no WebSocket handshake this server accepts: ``status`` and ``message``
    for the plain HTTP answer, and any ``headers`` it needs."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def same_host(origin: str, host: str | None) -> bool:
    """tornado's default origin check: the origin's host and port are the request's ``Host``."""
    return host is not None and urlparse(origin).netloc.lower() == host.lower()


def check_handshake(request: HTTPServerRequest, origin_ok: bool) -> str:
    """The client's key when ``request`` is a handshake to accept; raises ``Refusal`` otherwise
    (the same statuses and texts as tornado's ``WebSocketHandler``). ``origin_ok``: whether the
    ``Origin`` (if any) may connect."""
    headers = request.headers
    if headers.get("Upgrade", "").lower() != "websocket":
        raise Refusal(400, 'Can "Upgrade" only to "WebSocket".')
    if "upgrade" not in (part.strip().lower() for part in headers.get("Connection", "").split(",")):
        raise Refusal(400, '"Connection" must be "Upgrade".')
    if not origin_ok:
        raise Refusal(403, "Cross origin websockets not allowed")
    if headers.get("Sec-WebSocket-Version") not in SUPPORTED_VERSIONS:
        raise Refusal(426, "Upgrade Required", {"Sec-WebSocket-Version": "13"})
    key = headers.get("Sec-Websocket-Key")
    if not key:
        raise Refusal(400, "Missing/Invalid WebSocket headers")
    return key


def origin_of(request: HTTPServerRequest) -> str | None:
    headers = request.headers
    return headers.get("Origin") if "Origin" in headers else headers.get("Sec-Websocket-Origin")


def accept_response(key: str, extra: dict[str, str]) -> bytes:
    """The ``101`` answer to a handshake with ``key``."""
    accept = base64.b64encode(
        hashlib.sha1(key.encode("ascii", "replace") + _GUID, usedforsecurity=False).digest()
    ).decode()
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept}",
        *(f"{name}: {value}" for name, value in extra.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def take_over(stream: IOStream, protocol: WebSocketStream, response: bytes) -> None:
    """Move the detached ``stream``'s socket to an asyncio transport driving ``protocol``, whose
    first bytes out are ``response``. A client already gone leaves nothing to do: the protocol
    never opens, so nothing was counted for it."""
    sock = stream.socket
    if stream.closed() or sock is None:
        return
    # frames a client sent before our answer arrived: read ahead of anything the transport reads
    protocol.greet(response, bytes(stream._read_buffer))
    # tornado forgets the socket without closing it: the transport owns it from now on
    stream.io_loop.remove_handler(sock)
    stream.socket = None  # type: ignore[assignment]
    stream._read_buffer.clear()
    loop = asyncio.get_running_loop()
    try:
        await loop.connect_accepted_socket(lambda: protocol, sock)
    except OSError:
        sock.close()
