"""``/realtime``: the WebSocket endpoint. Authenticates, feeds frames to the gateway, writes."""

from __future__ import annotations

import functools
import logging
from asyncio import Future
from typing import Any

from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from chatserver.app import Runtime
from chatserver.chat.gateway import Client, Credentials, Gateway
from chatserver.config import Settings
from chatserver.http.ops import INSTANCE_HEADER
from chatserver.metrics import Metrics
from chatserver.protocol import ChatError, CloseCode, ErrorCode
from chatserver.protocol.envelope import error_frame

log = logging.getLogger("chatserver.realtime")

MAX_PENDING_BYTES = 4 * 1024 * 1024  # unsent bytes a connection may hold before it is closed as slow

# an error while opening a connection closes it with this code (see protocol.md §7)
OPEN_CLOSE_CODES: dict[ErrorCode, CloseCode] = {
    ErrorCode.AUTH_INVALID: CloseCode.AUTH_INVALID,
    ErrorCode.RATE_LIMITED: CloseCode.POLICY,
}


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    return "*" in allowed or origin.rstrip("/").lower() in allowed


def bearer_token(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


class RealtimeHandler(WebSocketHandler):
    """One instance per connection; all state lives on the instance, none on the class."""

    def initialize(
        self, gateway: Gateway, settings: Settings, tracker: set[RealtimeHandler], runtime: Runtime | None = None
    ) -> None:
        self.gateway = gateway
        self.chat_settings = settings
        self.tracker = tracker
        self.client: Client | None = None
        self.pending_bytes = 0
        self.metrics: Metrics | None = runtime.metrics if runtime is not None else None
        self.kind: str | None = None  # counted in the connections gauge while set
        if runtime is not None:
            self.set_header(INSTANCE_HEADER, runtime.instance_id)

    def check_origin(self, origin: str) -> bool:
        # the server's own pages (/dashboard/, /demo) may always connect; tornado's default is same-host
        return origin_allowed(origin, self.chat_settings.allowed_origins) or super().check_origin(origin)

    def get_compression_options(self) -> dict[str, Any] | None:
        return None

    async def open(self, *args: str, **kwargs: str) -> None:
        self.tracker.add(self)
        # chat frames are small and latency-bound: Nagle + delayed ACKs would hold them ~40 ms
        self.set_nodelay(True)
        credentials = Credentials(
            session_id=self.get_query_argument("sessionId", None) or None,
            token=self.get_query_argument("token", None) or bearer_token(self.request.headers.get("Authorization")),
            user_agent=self.request.headers.get("User-Agent", "")[:512],
            remote_ip=self.request.remote_ip or "",
        )
        try:
            self.client = await self.gateway.open(self, credentials)
        except ChatError as err:
            if self.metrics is not None:
                self.metrics.error(err.code.value)
            self.send_text(error_frame(err, None))
            self.close(OPEN_CLOSE_CODES.get(err.code, CloseCode.INTERNAL), err.message[:100])
            return
        except Exception:
            log.exception("could not open a connection")
            self.close(CloseCode.INTERNAL, "internal error")

        if self.client is not None and self.ws_connection is None:
            # closed while opening: on_close found no client to release
            client, self.client = self.client, None
            self.gateway.close_soon(client)
            return
        if self.metrics is not None and self.client is not None:
            self.kind = self.client.principal.role.value
            self.metrics.connection_opened(self.kind)

    async def on_message(self, message: str | bytes) -> None:
        if self.metrics is not None:
            self.metrics.frame_in()
        if self.client is not None:
            await self.gateway.receive(self.client, message)

    def on_close(self) -> None:
        self.tracker.discard(self)
        if self.metrics is not None and self.kind is not None:
            self.metrics.connection_closed(self.kind)
            self.kind = None
        if self.client is not None:
            client, self.client = self.client, None
            self.gateway.close_soon(client)

    # Connection protocol for the hub and gateway

    def send_text(self, frame: str) -> None:
        """Write without waiting; a client that lets too much pile up is closed (4408)."""
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        size = len(frame)
        if self.pending_bytes + size > MAX_PENDING_BYTES:
            log.info("closing a slow consumer with %d bytes unsent", self.pending_bytes)
            self.close(CloseCode.SLOW_CONSUMER, "slow consumer")
            return
        self.pending_bytes += size
        try:
            future = self.write_message(frame)
        except WebSocketClosedError:
            return
        if self.metrics is not None:
            self.metrics.frame_out()
        future.add_done_callback(functools.partial(self._written, size))

    def _written(self, size: int, future: Future[None]) -> None:
        self.pending_bytes -= size
        exc = future.exception()
        if exc is not None and not isinstance(exc, StreamClosedError | WebSocketClosedError):
            log.debug("write failed: %r", exc)
