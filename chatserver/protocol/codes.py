"""Error codes carried in ``error`` frames and failed acks, and WebSocket close codes.

Each code is documented in protocol.md; a test checks that both lists agree.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    """Machine-readable reason a request failed. The connection stays usable after all of them
    except ``auth_invalid`` (followed by close 4401)."""

    BAD_JSON = "bad_json"
    BAD_FRAME = "bad_frame"
    UNKNOWN_EVENT = "unknown_event"
    INVALID_PAYLOAD = "invalid_payload"
    AUTH_INVALID = "auth_invalid"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    LIMIT_REACHED = "limit_reached"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class CloseCode(enum.IntEnum):
    """WebSocket close codes the server uses. 1xxx are RFC 6455; 4xxx are ours."""

    GOING_AWAY = 1001  # server shutting down: reconnect (to another instance)
    MESSAGE_TOO_BIG = 1009  # frame over MAX_FRAME_BYTES: reconnect, do not resend it
    INTERNAL = 1011  # unexpected server failure: reconnect with backoff
    AUTH_INVALID = 4401  # bad, expired or unacceptable token: terminal, get a new token
    SLOW_CONSUMER = 4408  # the client did not read fast enough: reconnect and resume
    ERASED = 4410  # the visitor's data was erased: reconnect as a new guest (the old session is gone)
    POLICY = 4429  # too many connections or frames from this client: reconnect later
