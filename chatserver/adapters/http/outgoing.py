"""Outgoing HTTP for webhooks on tornado's client: a POST whose every failure is a result.

Tornado's client connects to whatever its resolver returns, so the resolver here is the target
guard (``chatserver.webhooks.targets``): the name is resolved once, every address checked, and
only checked addresses are connected to — no second lookup a rebinding DNS could answer
differently. The Host header and TLS SNI/certificate check still use the URL's name.

What staff see of a failure (``lastError``) is only "could not connect", "timed out" or the HTTP
status: socket-level reasons ("connection refused", "Stream closed", a refused address) would
tell a tenant what listens where. The reason goes to the operator's log (``detail``).
"""

from __future__ import annotations

import socket
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.netutil import Resolver
from tornado.simple_httpclient import HTTPTimeoutError

from chatserver.domain.webhooks import AttemptResult
from chatserver.webhooks.targets import RefusedTarget, TargetGuard

MAX_RESPONSE_BYTES = 1024 * 1024  # receivers answer briefly; the body is not read for meaning
COULD_NOT_CONNECT = "could not connect"
TIMED_OUT = "timed out"


class CheckedResolver(Resolver):
    """Tornado's resolver interface over ``TargetGuard.addresses``: a refused address never
    reaches a connect call."""

    def initialize(self, guard: TargetGuard) -> None:
        self.guard = guard

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        return [(found_family, sockaddr) for found_family, sockaddr in await self.guard.addresses(host, port, family)]


class TornadoSender:
    def __init__(self, *, max_clients: int = 10, targets: TargetGuard | None = None) -> None:
        self._client = AsyncHTTPClient(
            force_instance=True,
            max_clients=max(1, max_clients),
            max_body_size=MAX_RESPONSE_BYTES,
            resolver=CheckedResolver(guard=targets or TargetGuard()),  # strict unless told otherwise
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout_ms: int) -> AttemptResult:
        seconds = timeout_ms / 1000
        request = HTTPRequest(
            url,
            method="POST",
            body=body,
            headers=headers,
            connect_timeout=seconds,
            request_timeout=seconds,
            follow_redirects=False,  # a redirect could point anywhere; it is a failed attempt
            decompress_response=False,
        )
        try:
            response = await self._client.fetch(request, raise_error=False)
        except (HTTPClientError, OSError, ValueError, RefusedTarget) as exc:  # refused, unreachable, bad URL
            return _failed(exc)
        if response.code == 599:  # tornado: no HTTP response (timeout, reset)
            return _failed(response.error)
        ok = 200 <= response.code < 300
        return AttemptResult(status=response.code, error=None if ok else f"HTTP {response.code}")

    async def close(self) -> None:
        self._client.close()


def _failed(exc: BaseException | None) -> AttemptResult:
    """A failure without an HTTP status: the category for staff, the reason for the log."""
    detail = "no response" if exc is None else f"{type(exc).__name__}: {exc}"[:500]
    timed_out = isinstance(exc, HTTPTimeoutError | TimeoutError) or (
        isinstance(exc, HTTPClientError) and exc.code == 599 and "timeout" in str(exc).lower()
    )
    return AttemptResult(error=TIMED_OUT if timed_out else COULD_NOT_CONNECT, detail=detail)
