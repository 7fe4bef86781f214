"""The bytes that travel between instances: a publication on a broker channel.

A payload is ``<seq> <published at, epoch s>\\n<frame>``: the frame is the exact text every
subscriber's client receives, encoded once by the publishing instance; ``seq`` (0 for events
outside a room's message order) lets the receiving hub drop duplicates and fill gaps; the time
feeds the fan-out latency metric.

A business channel's payload may carry several frames, one per line (``pack_frames``): the
staff notifications of a business that leave together. A frame never holds a raw newline
(JSON escapes it inside strings), so the line break needs no escaping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence

from chatserver.domain.models import Message
from chatserver.protocol import events, wire
from chatserver.protocol.envelope import encode_frame


def message_event(message: Message) -> str:
    """An FAQ answer arrives as ``chat:faq-response``, every other message as ``chat:new-message``."""
    return events.FAQ_RESPONSE if message.faq_id else events.NEW_MESSAGE


def message_frame(message: Message) -> str:
    return encode_frame(message_event(message), wire.message(message))


def pack(seq: int, frame: str, *, published_at: float | None = None) -> bytes:
    """Broker payload for ``frame``; ``published_at`` defaults to now."""
    at = time.time() if published_at is None else published_at
    return f"{seq} {at:.6f}\n{frame}".encode()


def pack_frames(frames: Sequence[str], *, published_at: float | None = None) -> bytes:
    """One payload for several frames outside any message order (``seq`` 0)."""
    return pack(0, "\n".join(frames), published_at=published_at)


def split_frames(text: str) -> list[str]:
    """The frames of a ``pack_frames`` payload's text (one frame reads as a list of one)."""
    return text.split("\n")


def unpack_timed(payload: bytes) -> tuple[int, float | None, str]:
    """``(seq, published at, frame)``; a head without the time (``<seq>\\n``) reads as ``None``."""
    head, _, frame = payload.decode().partition("\n")
    seq, _, at = head.partition(" ")
    return int(seq), float(at) if at else None, frame


def unpack(payload: bytes) -> tuple[int, str]:
    seq, _, frame = unpack_timed(payload)
    return seq, frame


# instance-wide signals: frames on a ``signal:`` channel, read by the instances, never sent to a client
DISCONNECT = "signal:disconnect"


def disconnect_signal(guest_ids: Iterable[str], customer_ids: Iterable[str]) -> bytes:
    """Close the open connections of these guests and customers, on every instance."""
    data = {"guestIds": sorted(guest_ids), "customerIds": sorted(customer_ids)}
    return pack(0, encode_frame(DISCONNECT, data))


def read_disconnect(frame: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """``(guest ids, customer ids)`` of a ``disconnect_signal`` frame; ``None`` for another frame."""
    try:
        body = json.loads(frame)
        if body.get("event") != DISCONNECT:
            return None
        data = body["data"]
        return frozenset(map(str, data["guestIds"])), frozenset(map(str, data["customerIds"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
