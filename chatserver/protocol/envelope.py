"""Frame <-> envelope: ``{"event": str, "data": object, "ack": int?}`` as one JSON text frame."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import msgspec

from chatserver.protocol.codes import ErrorCode
from chatserver.protocol.errors import ChatError

MAX_ACK = 2**53 - 1  # largest integer every JSON implementation represents exactly
MAX_EVENT_NAME = 64

# msgspec reads and writes the JSON of nearly every frame; whatever it refuses (NaN, a lone
# surrogate escape, a number out of range, malformed text) is read again by ``json``, so every
# frame is accepted or refused, and worded, exactly as before. Its output equals ``json.dumps``'s
# with compact separators and ``ensure_ascii=False``.
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class Envelope:
    event: str
    data: dict[str, Any] = field(default_factory=dict)
    ack: int | None = None


class FrameError(ChatError):
    """A frame that could not be read as an envelope; ``ack`` is set when it could be recovered."""

    def __init__(self, code: ErrorCode, message: str, *, ack: int | None = None, event: str | None = None) -> None:
        super().__init__(code, message)
        self.ack = ack
        self.event = event


def _valid_ack(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ACK


def _has_lone_surrogate(obj: object) -> bool:
    """JSON allows ``"\\ud800"``; such a string cannot be stored or re-sent as UTF-8."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def decode_frame(frame: str | bytes) -> Envelope:
    """Parse one WebSocket message. Raises FrameError with ``bad_frame`` or ``bad_json``."""
    if isinstance(frame, bytes):
        raise FrameError(ErrorCode.BAD_FRAME, "binary frames are not accepted; send JSON as a text frame")
    try:
        obj = _decode(frame)
    except (msgspec.MsgspecError, RecursionError):
        obj = _decode_strictly(frame)
    if not isinstance(obj, dict):
        raise FrameError(ErrorCode.BAD_FRAME, "frame must be a JSON object")
    if "\\u" in frame and _has_lone_surrogate(obj):
        raise FrameError(ErrorCode.BAD_JSON, "frame contains an unpaired UTF-16 surrogate escape")
    raw_ack = obj.get("ack")
    ack = raw_ack if _valid_ack(raw_ack) else None
    if "ack" in obj and ack is None and raw_ack is not None:
        raise FrameError(ErrorCode.BAD_FRAME, f"'ack' must be an integer from 0 to {MAX_ACK}")
    event = obj.get("event")
    if not isinstance(event, str) or not event or len(event) > MAX_EVENT_NAME:
        raise FrameError(ErrorCode.BAD_FRAME, "'event' must be a non-empty string of at most 64 characters", ack=ack)
    data = obj.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrameError(ErrorCode.BAD_FRAME, "'data' must be a JSON object", ack=ack, event=event)
    return Envelope(event=event, data=data, ack=ack)


def _decode_strictly(frame: str) -> Any:
    """``json``'s reading of a frame msgspec refused: its error, or what it accepts."""
    try:
        return json.loads(frame)
    except (ValueError, RecursionError) as exc:
        raise FrameError(ErrorCode.BAD_JSON, f"frame is not valid JSON: {str(exc)[:120]}") from None


def encode_frame(event: str, data: Any = None, *, ack: int | None = None, error: dict[str, Any] | None = None) -> str:
    """Serialize one server frame. Compact separators: frames are sent many times."""
    body: dict[str, Any] = {"event": event}
    if ack is not None:
        body["ack"] = ack
    if error is not None:
        body["error"] = error
    else:
        body["data"] = {} if data is None else data
    try:
        return _encode(body).decode()
    except (TypeError, UnicodeEncodeError, msgspec.MsgspecError):  # a type it does not know
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def ack_frame(ack: int, data: Any) -> str:
    return encode_frame("ack", data, ack=ack)


def ack_error_frame(ack: int, err: ChatError) -> str:
    return encode_frame("ack", ack=ack, error=err.to_dict())


def error_frame(err: ChatError, event: str | None) -> str:
    body = err.to_dict()
    body["event"] = event
    return encode_frame("error", body)
