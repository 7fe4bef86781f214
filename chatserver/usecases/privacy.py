"""Data-subject requests (issue 16): export everything a business stores about one guest or
customer, or erase it. The retention sweep erases through here too, so every erase, asked for
or automatic, has the same effects: dashboards drop the rooms, the visitor's connections close
on every instance, and a ``guest.erased`` / ``customer.erased`` webhook event is written with
the erase.

Only staff of the business may ask, and the answer is the same ``not_found`` whether the visitor
exists in another business or nowhere: an export must not reveal what other businesses hold. A
repeated erase is ``not_found`` too: once erased, nothing is kept that could tell the visitor
was ever there.
Ids are checked before any query (length, no control characters), so a hostile path parameter
is a 400 with its ``field``, never a database error.
"""

from __future__ import annotations

import logging
from typing import Protocol

from chatserver.domain.clock import Clock
from chatserver.domain.events import SubjectErased
from chatserver.domain.models import Principal
from chatserver.domain.privacy import MAX_CUSTOMER_ID, MAX_GUEST_ID, Erasure, Subject, SubjectExport, SubjectKind
from chatserver.ports.privacy import PrivacyStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.conversations import require_staff_of

log = logging.getLogger("chatserver.privacy")

ID_FIELDS = {SubjectKind.GUEST: ("guestId", MAX_GUEST_ID), SubjectKind.CUSTOMER: ("customerId", MAX_CUSTOMER_ID)}


def subject(kind: SubjectKind, subject_id: str) -> Subject:
    """The subject named by a request; ``invalid_payload`` for an id no row could hold."""
    field, longest = ID_FIELDS[kind]
    if not subject_id or len(subject_id) > longest:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field} must have 1 to {longest} characters", field=field)
    if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in subject_id):  # C0, DEL, C1
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field} must not contain control characters", field=field)
    return Subject(kind, subject_id)


class Publisher(Protocol):
    """Where an erase is announced once committed (``Dispatcher.publish``)."""

    async def publish(self, event: SubjectErased) -> None: ...


class Privacy:
    def __init__(self, *, store: PrivacyStore, clock: Clock, publisher: Publisher | None = None) -> None:
        self.store = store
        self.clock = clock
        self.publisher = publisher  # None: nothing to announce to (the CLI has no connections)

    async def export(
        self, principal: Principal | None, business_id: str, kind: SubjectKind, subject_id: str
    ) -> SubjectExport:
        """For staff of ``business_id`` (``auth_invalid`` / ``forbidden`` otherwise, checked
        before the id: a caller who may not ask learns nothing from the answer)."""
        require_staff_of(principal, business_id)
        return await self.export_unchecked(business_id, subject(kind, subject_id))

    async def export_unchecked(self, business_id: str, wanted: Subject) -> SubjectExport:
        """The operator's export (the CLI has the database, so it needs no token)."""
        now = self.clock()
        data = await self.store.subject_data(business_id, wanted)
        if data.empty:
            field = ID_FIELDS[wanted.kind][0]
            raise ChatError(ErrorCode.NOT_FOUND, f"no data of this {wanted.kind.value} in this business", field=field)
        return SubjectExport(data, now)

    async def erase(self, principal: Principal | None, business_id: str, kind: SubjectKind, subject_id: str) -> Erasure:
        """For staff of ``business_id``, checked as for the export."""
        require_staff_of(principal, business_id)
        return await self.erase_unchecked(business_id, subject(kind, subject_id))

    async def erase_unchecked(self, business_id: str, wanted: Subject) -> Erasure:
        """The operator's and the retention sweep's erase. Persist, then announce: the pushes and
        the live close are best effort, the erase itself is what committed."""
        erasure = await self.store.erase_subject(business_id, wanted, self.clock())
        if erasure is None:
            field = ID_FIELDS[wanted.kind][0]
            raise ChatError(ErrorCode.NOT_FOUND, f"no data of this {wanted.kind.value} in this business", field=field)
        log.info("erased a %s in business %s: %d room(s)", wanted.kind.value, business_id, len(erasure.room_ids))
        if self.publisher is not None:
            try:
                await self.publisher.publish(SubjectErased(erasure))
            except Exception:  # committed is what counts; a dashboard drops the rooms on its next read
                log.exception("erase committed but not announced")
        return erasure
