"""The client's network transport: one WebSocket and plain HTTP requests, on tornado.

This is the only module of ``chatserver.client`` (and of the conformance suite built on it) that
imports tornado; everything above it sees ``Socket`` and ``http_request``. tornado is already a
dependency of the server, so the client costs integrators no extra package.
"""

from __future__ import annotations

from dataclasses import dataclass

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024


class TransportError(OSError):
    """The connection could not be opened or was refused before the WebSocket upgrade."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Socket:
    """An open WebSocket: send text or binary frames, receive until it closes."""

    def __init__(self, conn: WebSocketClientConnection) -> None:
        self._conn = conn

    async def recv(self) -> str | bytes | None:
        """The next frame, or ``None`` once the connection is closed."""
        return await self._conn.read_message()

    def send(self, frame: str | bytes) -> bool:
        """Queue one frame; ``False`` if the connection is already closed."""
        try:
            self._conn.write_message(frame, binary=isinstance(frame, bytes))
        except WebSocketClosedError:
            return False
        return True

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        self._conn.close(code, reason)

    @property
    def close_code(self) -> int | None:
        return self._conn.close_code

    @property
    def close_reason(self) -> str | None:
        return self._conn.close_reason


async def open_socket(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    connect_timeout: float = 10.0,
    max_message_size: int = DEFAULT_MAX_MESSAGE,
    ping_interval: float | None = None,
) -> Socket:
    """Open ``ws://`` or ``wss://`` ``url``. Raises ``TransportError`` when it cannot. With
    ``ping_interval`` the client pings too and closes a connection whose pongs stop (a dead
    network is noticed even while idle)."""
    request = HTTPRequest(url, headers=headers or {}, connect_timeout=connect_timeout, request_timeout=connect_timeout)
    try:
        conn = await websocket_connect(
            request,
            max_message_size=max_message_size,
            ping_interval=ping_interval,
            ping_timeout=ping_interval,  # tornado caps it at the interval
        )
    except HTTPClientError as exc:
        raise TransportError(f"upgrade refused: HTTP {exc.code}", status=exc.code) from None
    except (OSError, TimeoutError) as exc:
        raise TransportError(f"cannot connect to {url.split('?')[0]}: {exc}") from None
    return Socket(conn)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def http_request(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes | None = None, timeout: float = 10.0
) -> HttpResponse:
    """One HTTP request; any status is returned, not raised. Raises ``TransportError`` on network errors."""
    client = AsyncHTTPClient(force_instance=True)
    request = HTTPRequest(
        url,
        method=method,
        headers=headers or {},
        body=body,
        connect_timeout=timeout,
        request_timeout=timeout,
        allow_nonstandard_methods=True,
        follow_redirects=False,
    )
    try:
        response = await client.fetch(request, raise_error=False)
    except (OSError, TimeoutError) as exc:
        raise TransportError(f"{method} {url}: {exc}") from None
    finally:
        client.close()
    if response.code == 599:  # tornado's code for "no HTTP response" (timeout, connection reset)
        raise TransportError(f"{method} {url}: {response.error}")
    return HttpResponse(response.code, {k.lower(): v for k, v in response.headers.get_all()}, response.body or b"")
