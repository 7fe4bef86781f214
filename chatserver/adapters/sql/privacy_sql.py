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
- webhook events: the outbox rows keyed by those rooms (``order_key`` ``room:<id>``, which every
  event about a room or its messages carries), and their deliveries.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.models import (
    ContactRow,
    GuestRow,
    MessageRow,
    RoomRow,
    WebhookDeliveryRow,
    WebhookEventRow,
)
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.domain.privacy import DeliveryTrace, EventTrace, Subject, SubjectData, SubjectKind


def _owns(business_id: str, subject: Subject) -> ColumnElement[bool]:
    """The rooms of ``subject`` in the business."""
    if subject.kind is SubjectKind.GUEST:
        return and_(RoomRow.business_id == business_id, RoomRow.guest_id == subject.id)
    by_token = and_(RoomRow.user_id == subject.id, RoomRow.is_guest.is_(False))
    return and_(RoomRow.business_id == business_id, or_(by_token, RoomRow.customer_id == subject.id))


def _contacts(business_id: str, subject: Subject, owned: ColumnElement[bool]) -> Select[Any]:
    linked = select(RoomRow.customer_id).where(owned, RoomRow.customer_id.is_not(None))
    emails = select(RoomRow.email).where(owned, RoomRow.email.is_not(None))
    match = or_(ContactRow.id.in_(linked), ContactRow.email.in_(emails))
    if subject.kind is SubjectKind.CUSTOMER:  # a contact id is a customer id of its own
        match = or_(match, ContactRow.id == subject.id)
    return (
        select(ContactRow)
        .where(ContactRow.business_id == business_id, match)
        .order_by(ContactRow.created_at, ContactRow.id)
    )


class SqlPrivacyStore(SqlSessions):
    """Reads only; a standalone part over the store's engine (like ``SqlWebhookStore``)."""

    async def subject_data(self, business_id: str, subject: Subject) -> SubjectData:
        owned = _owns(business_id, subject)
        room_ids = select(RoomRow.id).where(owned)
        async with self._tx() as session:
            room_rows = (
                (await session.execute(select(RoomRow).where(owned).order_by(RoomRow.created_at, RoomRow.id)))
                .scalars()
                .all()
            )
            contacts = (await session.execute(_contacts(business_id, subject, owned))).scalars().all()
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
        order = {row.id: i for i, row in enumerate(room_rows)}
        by_room = sorted(messages, key=lambda m: (order[m.room_id], m.seq))
        return SubjectData(
            business_id=business_id,
            subject=subject,
            sessions=tuple(map(rows.guest, sessions)),
            rooms=tuple(map(rows.room, room_rows)),
            messages=tuple(map(rows.message, by_room)),
            contacts=tuple(map(rows.contact, contacts)),
            events=events,
        )


async def _events(session: AsyncSession, business_id: str, owned: ColumnElement[bool]) -> tuple[EventTrace, ...]:
    """The outbox rows about the rooms, oldest first, with their deliveries."""
    keys = select(literal("room:") + RoomRow.id).where(owned)
    about = and_(WebhookEventRow.business_id == business_id, WebhookEventRow.order_key.in_(keys))
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
