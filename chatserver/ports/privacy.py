"""The storage interface of data-subject requests (issue 16): read everything stored about a
guest or a customer in one business. A port of its own: the export reads across rooms,
messages, contacts and the webhook outbox, which no other feature's store slice spans."""

from __future__ import annotations

from typing import Protocol

from chatserver.domain.privacy import Subject, SubjectData


class PrivacyStore(Protocol):
    async def subject_data(self, business_id: str, subject: Subject) -> SubjectData:
        """What the business stores about ``subject`` (``empty`` when nothing)."""
        ...
