"""``GET /realtime``: the WebSocket handshake on tornado, then the socket handed to a
``RealtimeConnection`` (``realtime.py``) through ``upgrade.py``."""

from __future__ import annotations

from tornado.http1connection import HTTP1Connection
from tornado.web import RequestHandler

from chatserver.adapters.http.ops import INSTANCE_HEADER
from chatserver.adapters.http.realtime import RealtimeConnection, RealtimeOptions
from chatserver.adapters.http.redaction import RedactedLogs
from chatserver.adapters.http.upgrade import Refusal, accept_response, check_handshake, origin_of, same_host, take_over
from chatserver.realtime.gateway import Credentials


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    return "*" in allowed or origin.rstrip("/").lower() in allowed


def printable(text: str, limit: int) -> str:
    """Header text fit to store: control characters (NUL included) dropped, length bounded."""
    return "".join(ch for ch in text[: limit * 2] if ch.isprintable())[:limit]


def bearer_token(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


class RealtimeHandler(RedactedLogs, RequestHandler):
    """``GET /realtime``: checks the handshake, reads the credentials, and hands the socket to a
    ``RealtimeConnection`` (``upgrade.py``). The handler is gone once the connection is open."""

    def initialize(self, options: RealtimeOptions) -> None:
        self.realtime = options  # not ``options``: that name is the OPTIONS method's
        if options.instance_id is not None:
            self.set_header(INSTANCE_HEADER, options.instance_id)

    def check_origin(self, origin: str) -> bool:
        # the server's own pages (/dashboard/, /demo) may always connect; tornado's default is same-host
        return origin_allowed(origin, self.realtime.allowed_origins) or same_host(
            origin, self.request.headers.get("Host")
        )

    async def get(self) -> None:
        request = self.request
        origin = origin_of(request)
        try:
            key = check_handshake(request, origin is None or self.check_origin(origin))
        except Refusal as refusal:
            self.set_status(refusal.status)
            for name, value in refusal.headers.items():
                self.set_header(name, value)
            self.finish(refusal.message)
            return
        options = self.realtime
        remote_ip = request.remote_ip or ""
        credentials = Credentials(
            session_id=self.get_query_argument("sessionId", None) or None,
            token=self.get_query_argument("token", None) or bearer_token(request.headers.get("Authorization")),
            user_agent=printable(request.headers.get("User-Agent", ""), 512),
            remote_ip=remote_ip,
        )
        extra = {INSTANCE_HEADER: options.instance_id} if options.instance_id is not None else {}
        connection = RealtimeConnection(options, credentials)
        assert isinstance(request.connection, HTTP1Connection)
        stream = request.connection.detach()
        # the answer goes out on the WebSocket's transport: tornado writes nothing more
        self.set_status(101)
        self._finished = True
        self.application.log_request(self)
        await take_over(stream, connection, accept_response(key, extra))
