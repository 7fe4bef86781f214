"""Data-subject reads on SQLAlchemy (``PrivacyStore``, issue 16): everything one business stores
about a guest or a customer, read in one transaction.

The subject's rooms are the root: every other table is reached from them, through a subquery
rather than a list of ids, so a customer with thousands of rooms is still a fixed number of
statements (six) and never runs into a driver's limit on bound parameters.

- rooms: a guest's by ``guest_id``; a customer's by ``user_id`` (their token's ``sub``) or by
  ``customer_id`` (the contact a guest conversation was converted to);
- messages: every message of those rooms, whoever sent it;
- contacts: those the rooms link to (``customer_id``) or that share a room's email;
- guest sessions: of the guests those rooms belong to (a session row has no business: it is
  only reported when the guest has a room in this one);
- satisfaction ratings: every closure's, of those rooms;
- webhook events: the outbox rows keyed by those rooms (``order_key`` ``room:<id>``, which every
  event about a room or its messages carries), and their deliveries.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.erase_sql import SqlErasure
from chatserver.adapters.sql.models import (
    GuestRow,
    MessageRow,
    RoomRatingRow,
    RoomRow,
    WebhookDeliveryRow,
    WebhookEventRow,
)
from chatserver.adapters.sql.subject_sql import contacts_of, events_about, owns
from chatserver.domain.privacy import DeliveryTrace, EventTrace, Subject, SubjectData
from chatserver.domain.ratings import ClosureRating, Rating


class SqlPrivacyStore(SqlErasure):
    """A standalone part over the store's engine (like ``SqlWebhookStore``): these reads, and
    the erase (``erase_sql.py``)."""

    async def subject_data(self, business_id: str, subject: Subject) -> SubjectData:
        owned = owns(business_id, subject)
        room_ids = select(RoomRow.id).where(owned)
        async with self._tx() as session:
            room_rows = (
                (await session.execute(select(RoomRow).where(owned).order_by(RoomRow.created_at, RoomRow.id)))
                .scalars()
                .all()
            )
            contacts = (await session.execute(contacts_of(business_id, subject, owned))).scalars().all()
            if not room_rows:  # nothing else can hang off no rooms
                return SubjectData(business_id, subject, (), (), (), tuple(map(rows.contact, contacts)), ())
            messages = (
                (
                    await session.execute(
                        select(MessageRow)
                        .where(MessageRow.room_id.in_(room_ids))
                        .order_by(MessageRow.room_id, MessageRow.seq)
                    )
                )
                .scalars()
                .all()
            )
            guest_ids = select(RoomRow.guest_id).where(owned, RoomRow.guest_id.is_not(None))
            sessions = (
                (
                    await session.execute(
                        select(GuestRow).where(GuestRow.guest_id.in_(guest_ids)).order_by(GuestRow.created_at)
                    )
                )
                .scalars()
                .all()
            )
            events = await _events(session, business_id, owned)
            ratings = (
                (await session.execute(select(RoomRatingRow).where(RoomRatingRow.room_id.in_(room_ids))))
                .scalars()
                .all()
            )
        order = {row.id: i for i, row in enumerate(room_rows)}
        by_room = sorted(messages, key=lambda m: (order[m.room_id], m.seq))
        closures = sorted(ratings, key=lambda r: (order[r.room_id], r.closed_at))
        return SubjectData(
            business_id=business_id,
            subject=subject,
            sessions=tuple(map(rows.guest, sessions)),
            rooms=tuple(map(rows.room, room_rows)),
            messages=tuple(map(rows.message, by_room)),
            contacts=tuple(map(rows.contact, contacts)),
            events=events,
            ratings=tuple(
                ClosureRating(r.room_id, Rating(r.score, r.comment, r.rated_at, r.closed_at)) for r in closures
            ),
        )


async def _events(session: AsyncSession, business_id: str, owned: ColumnElement[bool]) -> tuple[EventTrace, ...]:
    """The outbox rows about the rooms, oldest first, with their deliveries."""
    about = events_about(business_id, owned)
    found = (
        await session.execute(
            select(
                WebhookEventRow.seq,
                WebhookEventRow.id,
                WebhookEventRow.type,
                WebhookEventRow.created_at,
                WebhookEventRow.dispatched_at,
            )
            .where(about)
            .order_by(WebhookEventRow.seq)
        )
    ).all()
    if not found:
        return ()
    seqs = select(WebhookEventRow.seq).where(about)
    deliveries: defaultdict[int, list[DeliveryTrace]] = defaultdict(list)
    for row in (
        await session.execute(
            select(
                WebhookDeliveryRow.event_seq,
                WebhookDeliveryRow.id,
                WebhookDeliveryRow.webhook_id,
                WebhookDeliveryRow.status,
                WebhookDeliveryRow.attempts,
                WebhookDeliveryRow.created_at,
                WebhookDeliveryRow.delivered_at,
            )
            .where(WebhookDeliveryRow.event_seq.in_(seqs))
            .order_by(WebhookDeliveryRow.created_at, WebhookDeliveryRow.id)
        )
    ).all():
        deliveries[row.event_seq].append(
            DeliveryTrace(row.id, row.webhook_id, row.status, row.attempts, row.created_at, row.delivered_at)
        )
    return tuple(
        EventTrace(row.id, row.type, row.created_at, row.dispatched_at, tuple(deliveries[row.seq])) for row in found
    )
