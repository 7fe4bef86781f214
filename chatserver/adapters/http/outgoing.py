"""Outgoing HTTP for webhooks on tornado's client: a POST whose every failure is a result."""

from __future__ import annotations

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from chatserver.domain.webhooks import AttemptResult

MAX_RESPONSE_BYTES = 1024 * 1024  # receivers answer briefly; the body is not read for meaning


class TornadoSender:
    def __init__(self, *, max_clients: int = 10) -> None:
        self._client = AsyncHTTPClient(
            force_instance=True, max_clients=max(1, max_clients), max_body_size=MAX_RESPONSE_BYTES
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
            follow_redirects=False,
            decompress_response=False,
        )
        try:
            response = await self._client.fetch(request, raise_error=False)
        except HTTPClientError as exc:
            return AttemptResult(error=_describe(exc, timeout_ms))
        except (OSError, ValueError) as exc:  # refused, unreachable, bad URL
            return AttemptResult(error=_describe(exc, timeout_ms))
        if response.code == 599:  # tornado: no HTTP response (timeout, reset)
            return AttemptResult(error=_describe(response.error, timeout_ms))
        ok = 200 <= response.code < 300
        return AttemptResult(status=response.code, error=None if ok else f"HTTP {response.code}")

    async def close(self) -> None:
        self._client.close()


def _describe(exc: BaseException | None, timeout_ms: int) -> str:
    if exc is None:
        return "no response"
    text = str(exc)
    if "Timeout" in text or isinstance(exc, TimeoutError):
        return f"timeout after {timeout_ms} ms"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"{type(exc).__name__}: {text}"[:500]
