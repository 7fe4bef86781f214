"""The storage of canned responses (``domain/canned.py``)."""

from __future__ import annotations

from typing import Protocol

from chatserver.domain.canned import CannedFields, CannedResponse


class ShortCodeTaken(Exception):
    """Another canned response of the business has this short code (in any case)."""


class CannedStore(Protocol):
    async def list_canned(self, business_id: str) -> list[CannedResponse]:
        """Ordered by short code."""
        ...

    async def get_canned(self, canned_id: str) -> CannedResponse | None: ...

    async def count_canned(self, business_id: str) -> int: ...

    async def create_canned(self, business_id: str, fields: CannedFields, now: int) -> CannedResponse:
        """Raises ``ShortCodeTaken``."""
        ...

    async def update_canned(self, canned_id: str, fields: CannedFields, now: int) -> CannedResponse | None:
        """None: no such response. Raises ``ShortCodeTaken``."""
        ...

    async def delete_canned(self, canned_id: str) -> bool: ...
