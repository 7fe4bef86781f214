"""tornado's own error logs name the request: never with the token or sessionId of its query."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from chatserver.adapters.http.realtime_handler import RealtimeHandler
from chatserver.adapters.http.redaction import RedactedLogs, redact_uri
from chatserver.adapters.http.rest import ApiHandler

URI = "/realtime?token=eyJhbGciOi.secret.sig&sessionId=s3cr3t&x=1"


def _handler() -> SimpleNamespace:
    start = RequestStartLine("GET", URI, "HTTP/1.1")
    request = HTTPServerRequest(start_line=start, headers=HTTPHeaders({"Host": "chat.example"}))
    request.remote_ip = "203.0.113.9"
    return SimpleNamespace(request=request, _request_summary=lambda: RedactedLogs._request_summary(handler))


handler = _handler()


def test_an_uncaught_exception_is_logged_without_the_query_secrets(caplog):
    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            RedactedLogs.log_exception(handler, RuntimeError, exc, exc.__traceback__)  # type: ignore[arg-type]
    text = caplog.text
    assert "Uncaught exception GET /realtime?token=%5Bredacted%5D&sessionId=%5Bredacted%5D&x=1" in text
    assert "s3cr3t" not in text and "secret.sig" not in text and "boom" in text


def test_both_kinds_of_handler_log_through_it():
    assert issubclass(RealtimeHandler, RedactedLogs) and issubclass(ApiHandler, RedactedLogs)
    assert redact_uri("/p", "") == "/p"
