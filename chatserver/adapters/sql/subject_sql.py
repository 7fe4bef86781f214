"""Which rows belong to a data subject (issue 16), as SQL clauses the export and the erase share:
the subject's rooms are the root, everything else is reached from them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal, or_, select

from chatserver.adapters.sql.models import ContactRow, RoomRow, WebhookEventRow
from chatserver.domain.privacy import Subject, SubjectKind


def owns(business_id: str, subject: Subject) -> ColumnElement[bool]:
    """The rooms of ``subject`` in the business."""
    if subject.kind is SubjectKind.GUEST:
        return and_(RoomRow.business_id == business_id, RoomRow.guest_id == subject.id)
    by_token = and_(RoomRow.user_id == subject.id, RoomRow.is_guest.is_(False))
    return and_(RoomRow.business_id == business_id, or_(by_token, RoomRow.customer_id == subject.id))


def contacts_of(business_id: str, subject: Subject, owned: ColumnElement[bool]) -> Select[Any]:
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


def events_about(business_id: str, owned: ColumnElement[bool]) -> ColumnElement[bool]:
    """The outbox rows about the rooms: keyed ``room:<id>``, as every event about a room or its
    messages is."""
    keys = select(literal("room:") + RoomRow.id).where(owned)
    return and_(WebhookEventRow.business_id == business_id, WebhookEventRow.order_key.in_(keys))
