"""Which staff of a business are online on any instance (for away messages and dashboards).

The gateway reports each staff connection opening and closing; ``staff_online`` answers for the
whole deployment. ``adapters/memory/presence.py`` is the single-instance default; the Redis implementation
(``chatserver/adapters/redis/presence.py``) keeps entries alive with TTL heartbeats, so staff of an
instance that dies without closing its sockets go offline when the TTL runs out.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


class Presence(Protocol):
    async def start(self) -> None:
        """Begin background work (heartbeats), if any."""
        ...

    async def close(self) -> None:
        """Stop; forget this instance's entries."""
        ...

    async def connected(self, business_id: str, user_id: str) -> None:
        """A connection of staff member ``user_id`` of ``business_id`` opened here."""
        ...

    async def disconnected(self, business_id: str, user_id: str) -> None:
        """One such connection closed; the member stays online while another one is open."""
        ...

    async def online_staff(self, business_id: str) -> frozenset[str]:
        """User ids of the business's staff connected to any instance."""
        ...

    async def staff_online(self, business_id: str) -> bool:
        """Whether any staff member of the business is connected to any instance."""
        ...


class LocalConnections:
    """Open staff connections of this instance, counted per (business, user)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, business_id: str, user_id: str) -> bool:
        """Count one; True when this is the member's first connection here."""
        self._counts[(business_id, user_id)] += 1
        return self._counts[(business_id, user_id)] == 1

    def remove(self, business_id: str, user_id: str) -> bool:
        """Uncount one; True when the member has no connection here any more."""
        key = (business_id, user_id)
        if self._counts[key] <= 1:
            self._counts.pop(key, None)
            return True
        self._counts[key] -= 1
        return False

    def users(self, business_id: str) -> frozenset[str]:
        return frozenset(user for (business, user) in self._counts if business == business_id)

    def entries(self) -> list[tuple[str, str]]:
        return list(self._counts)
