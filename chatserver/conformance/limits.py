"""The server limits the suite probes (protocol.md §8), with protocol.md's defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_frame_bytes: int = 65536
    max_message_length: int = 2000
    guest_rate_limit: int = 10
    max_rooms_per_session: int = 5
