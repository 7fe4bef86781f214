"""Is any staff member of a business online? The auto-responder asks before sending the away message.

``Presence`` is the one question the domain asks. ``MemoryPresence`` answers it for a single
process by counting the staff connections the gateway reports; a shared implementation (Redis,
for several instances) answers the same method.
"""

from __future__ import annotations

from typing import Protocol


class Presence(Protocol):
    async def staff_online(self, business_id: str) -> bool:
        """True when at least one staff connection of the business is open."""
        ...


class StaffTracker(Protocol):
    """What the gateway reports as staff connections open and close."""

    def staff_connected(self, business_id: str) -> None: ...
    def staff_disconnected(self, business_id: str) -> None: ...


class MemoryPresence:
    """Counts this process's open staff connections per business."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    async def staff_online(self, business_id: str) -> bool:
        return self._counts.get(business_id, 0) > 0

    def staff_connected(self, business_id: str) -> None:
        self._counts[business_id] = self._counts.get(business_id, 0) + 1

    def staff_disconnected(self, business_id: str) -> None:
        left = self._counts.get(business_id, 0) - 1
        if left > 0:
            self._counts[business_id] = left
        else:
            self._counts.pop(business_id, None)
