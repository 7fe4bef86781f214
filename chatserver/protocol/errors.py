"""The one exception type that crosses from the domain to the wire."""

from __future__ import annotations

from typing import Any

from chatserver.protocol.codes import ErrorCode


class ChatError(Exception):
    """A request failed for a reason the client may act on.

    Raised anywhere below the gateway; the gateway turns it into a failed ack or an
    ``error`` frame, the REST layer into ``{"error": {...}}`` with an HTTP status.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after_ms = retry_after_ms

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.retry_after_ms is not None:
            body["retryAfterMs"] = self.retry_after_ms
        return body

    def __repr__(self) -> str:
        return f"ChatError({self.code.value!r}, {self.message!r})"
