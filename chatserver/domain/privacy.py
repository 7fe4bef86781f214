"""What is stored about one visitor in one business, gathered for a data-subject request
(GDPR Art. 15 and 17, CCPA; issue 16): the values the export and the erasure are made of, and
how long a business keeps a guest's data.

A visitor is a *guest* (``guest_…`` id, no account) or a *customer* (the ``sub`` of a
business's token, or the id of the contact a guest was converted to). Everything is scoped to
one business: a guest's session row is only reported when the guest has a room there, so staff
of one business never learn what another holds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chatserver.domain.business import Contact
from chatserver.domain.models import GuestSession, Message, Room
from chatserver.domain.ratings import ClosureRating

MAX_GUEST_ID = 40  # guest_sessions.guest_id / rooms.guest_id
MAX_CUSTOMER_ID = 128  # rooms.user_id (a token's sub); contact ids are shorter
MAX_RETENTION_DAYS = 36_500  # a business's guestRetentionDays: a century is "keep"


class SubjectKind(enum.StrEnum):
    GUEST = "guest"
    CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose data: ``kind`` and the id the business knows them by."""

    kind: SubjectKind
    id: str


@dataclass(frozen=True, slots=True)
class DeliveryTrace:
    """One attempt record of a webhook event: ids, status and times, never the body again."""

    id: str
    webhook_id: str
    status: str
    attempts: int
    created_at: int
    delivered_at: int | None


@dataclass(frozen=True, slots=True)
class EventTrace:
    """A webhook event that carried the subject's data (its body is not repeated: the rooms and
    messages below are what it carried)."""

    id: str
    type: str
    created_at: int
    dispatched_at: int | None
    deliveries: tuple[DeliveryTrace, ...]


@dataclass(frozen=True, slots=True)
class SubjectData:
    """Everything stored about ``subject`` in ``business_id``: rooms oldest first, messages by
    room and ``seq``."""

    business_id: str
    subject: Subject
    sessions: tuple[GuestSession, ...]
    rooms: tuple[Room, ...]
    messages: tuple[Message, ...]
    contacts: tuple[Contact, ...]
    events: tuple[EventTrace, ...]
    ratings: tuple[ClosureRating, ...] = ()  # every closure's satisfaction rating, by room and closure

    @property
    def empty(self) -> bool:
        """Nothing of the subject in this business (the export answers ``not_found``)."""
        return not (self.rooms or self.contacts)


@dataclass(frozen=True, slots=True)
class SubjectExport:
    """The answer to an access request: the data, and when it was read."""

    data: SubjectData
    exported_at: int


@dataclass(frozen=True, slots=True)
class Erasure:
    """What one erase removed: ids only, for the pushes, the live close and the webhook event.

    ``guest_ids``: the guests whose sessions were deleted (the subject itself for a guest; for a
    customer, the guests whose conversations were converted to them); their open connections
    are closed. ``customer_ids``: token subjects whose connections are closed."""

    business_id: str
    subject: Subject
    room_ids: tuple[str, ...]
    guest_ids: tuple[str, ...]
    customer_ids: tuple[str, ...]


def retention_days(business_days: int | None, server_days: int) -> int | None:
    """How long a business keeps an idle guest's data, in days (``None``: forever).

    ``GUEST_DATA_RETENTION_DAYS`` (``server_days``, 0: unset) is the operator's ceiling and a
    business's ``guestRetentionDays`` may only shorten it: the shorter of the two that are set
    wins, so no business can keep data longer than the operator allows."""
    limits = [days for days in (business_days, server_days or None) if days is not None]
    return min(limits) if limits else None
