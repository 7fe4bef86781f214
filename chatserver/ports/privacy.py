"""The storage interfaces of data-subject requests (issue 16): read everything stored about a
guest or a customer in one business, erase it, and find the guests a retention period has
passed for. A port of its own: these span rooms, messages, sessions, contacts and the webhook
outbox, which no other feature's store slice does."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from chatserver.domain.privacy import Erasure, Subject, SubjectData


class PrivacyStore(Protocol):
    async def subject_data(self, business_id: str, subject: Subject) -> SubjectData:
        """What the business stores about ``subject`` (``empty`` when nothing)."""
        ...

    async def erase_subject(self, business_id: str, subject: Subject, now: int) -> Erasure | None:
        """Delete it all in one transaction, with its webhook event; ``None`` when nothing was stored."""
        ...


class RetentionStore(Protocol):
    def sweep_lock(self) -> AbstractAsyncContextManager[bool]:
        """Held for one retention round: ``True`` when this instance may sweep now."""
        ...

    async def business_settings(self, *, with_retention_only: bool) -> dict[str, dict[str, Any]]:
        """Every business's settings document (``{}`` for one with none stored); with
        ``with_retention_only``, only those whose ``guestRetentionDays`` is set."""
        ...

    async def idle_guests(self, business_id: str, cutoff: int, limit: int) -> list[str]:
        """Up to ``limit`` guests of the business with no activity there since before ``cutoff``."""
        ...
