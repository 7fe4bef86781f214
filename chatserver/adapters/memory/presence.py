"""Staff presence of this process only: the embedded single-instance default."""

from __future__ import annotations

from chatserver.ports.presence import LocalConnections


class MemoryPresence:
    """Presence of this process only: exact for the embedded single-instance default."""

    def __init__(self) -> None:
        self.local = LocalConnections()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self.local = LocalConnections()

    async def connected(self, business_id: str, user_id: str) -> None:
        self.local.add(business_id, user_id)

    async def disconnected(self, business_id: str, user_id: str) -> None:
        self.local.remove(business_id, user_id)

    async def online_staff(self, business_id: str) -> frozenset[str]:
        return self.local.users(business_id)

    async def staff_online(self, business_id: str) -> bool:
        return bool(self.local.users(business_id))
