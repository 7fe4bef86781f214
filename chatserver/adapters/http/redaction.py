"""Request lines fit for logs: credentials in the query string replaced.

Why a module of its own: besides the access log, tornado writes the request line into its own
error logs (an uncaught exception, an ``HTTPError``), and a WebSocket's request line carries the
client's ``token`` or ``sessionId`` — a secret a log reader could replay. Every handler that can
receive one logs through ``RedactedLogs``.
"""

from __future__ import annotations

from types import TracebackType
from urllib.parse import parse_qsl, urlencode

from tornado.log import app_log
from tornado.web import HTTPError, RequestHandler

SECRET_PARAMS = frozenset({"sessionid", "token", "access_token"})


def redact_uri(path: str, query: str) -> str:
    """The request line for logs, with credentials in the query string replaced."""
    if not query:
        return path
    pairs = [
        (k, "[redacted]" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs)}"


class RedactedLogs(RequestHandler):
    """tornado's error logs without the query string's secrets (and without the request's
    ``repr``, which repeats the full URI)."""

    def _request_summary(self) -> str:
        request = self.request
        return f"{request.method} {redact_uri(request.path, request.query)} ({request.remote_ip})"

    def log_exception(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(value, HTTPError):
            super().log_exception(typ, value, tb)  # a status line, with the summary above
            return
        app_log.error("Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))  # type: ignore[arg-type]
