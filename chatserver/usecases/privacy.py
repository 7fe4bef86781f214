"""Data-subject requests (issue 16): export everything a business stores about one guest or
customer. Erasure and retention build on the same reads later.

Only staff of the business may ask, and the answer is the same ``not_found`` whether the visitor
exists in another business or nowhere: an export must not reveal what other businesses hold.
Ids are checked before any query (length, no control characters), so a hostile path parameter
is a 400 with its ``field``, never a database error.
"""

from __future__ import annotations

from chatserver.domain.clock import Clock
from chatserver.domain.models import Principal
from chatserver.domain.privacy import MAX_CUSTOMER_ID, MAX_GUEST_ID, Subject, SubjectExport, SubjectKind
from chatserver.ports.privacy import PrivacyStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.conversations import require_staff_of

ID_FIELDS = {SubjectKind.GUEST: ("guestId", MAX_GUEST_ID), SubjectKind.CUSTOMER: ("customerId", MAX_CUSTOMER_ID)}


def subject(kind: SubjectKind, subject_id: str) -> Subject:
    """The subject named by a request; ``invalid_payload`` for an id no row could hold."""
    field, longest = ID_FIELDS[kind]
    if not subject_id or len(subject_id) > longest:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field} must have 1 to {longest} characters", field=field)
    if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in subject_id):  # C0, DEL, C1
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field} must not contain control characters", field=field)
    return Subject(kind, subject_id)


class Privacy:
    def __init__(self, *, store: PrivacyStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

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
