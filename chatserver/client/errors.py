"""What the client raises. Server refusals carry the protocol's error ``code`` (protocol.md §6)."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Base class of every error the client raises."""


class RequestFailed(ClientError):
    """The server answered a request with an error (a failed ack or an ``error`` frame)."""

    def __init__(self, code: str, message: str, *, field: str | None = None, retry_after_ms: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self.retry_after_ms = retry_after_ms

    @classmethod
    def from_wire(cls, error: dict[str, Any]) -> RequestFailed:
        retry = error.get("retryAfterMs")
        return cls(
            str(error.get("code", "")),
            str(error.get("message", "")),
            field=error.get("field"),
            retry_after_ms=retry if isinstance(retry, int) else None,
        )


class ConnectionClosed(ClientError):
    """The WebSocket closed (or could not open) before the answer arrived."""

    def __init__(self, code: int | None, reason: str | None = None) -> None:
        super().__init__(f"connection closed ({code} {reason or ''})".rstrip())
        self.code = code
        self.reason = reason


class AckTimeout(ClientError, TimeoutError):
    """No ack arrived in time; the connection may be dead (the client reconnects and retries)."""


class AuthRejected(ClientError):
    """The server refused the token (``auth_invalid``, close 4401): terminal, get a new token."""


class ClientClosed(ClientError):
    """The client was closed, or stopped for good after a terminal error."""
