"""Closing some visitors' open connections wherever they are connected: an erased guest's or
customer's (issue 16). The use cases only ask; which instance holds which connection is the
fan-out's business (``chatserver.fanout.disconnects``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class Disconnects(Protocol):
    async def disconnect(self, guest_ids: Collection[str], customer_ids: Collection[str]) -> None:
        """Close those guests' and customers' connections on every instance (best effort)."""
        ...
