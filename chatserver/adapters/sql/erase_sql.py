"""Erasing a data subject on SQLAlchemy (issue 16, GDPR Art. 17): everything the export reports,
deleted in one transaction with the ``guest.erased`` / ``customer.erased`` outbox row.

In order, so no foreign key is ever violated and nothing is left pointing at a deleted row:

1. the subject's rooms, locked (PostgreSQL: ``FOR UPDATE``, so a message being appended to one
   either commits first and is erased too, or finds the room gone);
2. their analytics counts, added to the anonymous per-day sums (``erased_activity.py``);
3. the webhook events about those rooms and their deliveries (the bodies carried the rooms and
   messages; an event still to be sent is not sent);
4. the rooms' messages and satisfaction ratings (comments included; their scores are counted
   in step 2), then the rooms;
5. the contacts the export reported, unless a room that remains still links to one;
6. the session rows of the guests whose rooms these were, so their ``sessionId`` resumes
   nothing (a guest's session has no business: erasing a guest in one business ends the
   session everywhere; rooms the guest has in other businesses are theirs and stay).
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select

from chatserver.adapters.sql.erased_activity import record_erased
from chatserver.adapters.sql.models import (
    ContactRow,
    GuestRow,
    MessageRow,
    RoomRatingRow,
    RoomRow,
    WebhookDeliveryRow,
    WebhookEventRow,
)
from chatserver.adapters.sql.outbox import write_outbox
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.adapters.sql.subject_sql import contacts_of, events_about, owns
from chatserver.domain.events import SubjectErased
from chatserver.domain.privacy import Erasure, Subject, SubjectKind
from chatserver.usecases.dispatch import webhook_events

UNSYNCED = {"synchronize_session": False}  # bulk deletes: no ORM objects of these rows are loaded


class SqlErasure(SqlSessions):
    async def erase_subject(self, business_id: str, subject: Subject, now: int) -> Erasure | None:
        owned = owns(business_id, subject)
        async with self._tx() as session:
            rooms = (
                await session.execute(
                    select(RoomRow.id, RoomRow.guest_id)
                    .where(owned)
                    .order_by(RoomRow.created_at, RoomRow.id)
                    .with_for_update()
                )
            ).all()
            contact_ids = list(
                (await session.execute(contacts_of(business_id, subject, owned).with_only_columns(ContactRow.id)))
                .scalars()
                .all()
            )
            if not rooms and not contact_ids:
                return None
            room_ids = tuple(row.id for row in rooms)
            guests = {row.guest_id for row in rooms if row.guest_id is not None}
            if subject.kind is SubjectKind.GUEST:
                guests.add(subject.id)
            await record_erased(session, self.engine.dialect.name, business_id, owned)
            about = events_about(business_id, owned)
            event_seqs = select(WebhookEventRow.seq).where(about)
            in_rooms = MessageRow.room_id.in_(select(RoomRow.id).where(owned))
            still_linked = exists().where(RoomRow.customer_id == ContactRow.id)
            for statement in (
                delete(WebhookDeliveryRow).where(WebhookDeliveryRow.event_seq.in_(event_seqs)),
                delete(WebhookEventRow).where(about),
                delete(MessageRow).where(in_rooms),
                delete(RoomRatingRow).where(RoomRatingRow.room_id.in_(select(RoomRow.id).where(owned))),
                delete(RoomRow).where(owned),
                delete(ContactRow).where(ContactRow.id.in_(contact_ids), ~still_linked),
                delete(GuestRow).where(GuestRow.guest_id.in_(sorted(guests))),
            ):
                await session.execute(statement, execution_options=UNSYNCED)
            erasure = Erasure(
                business_id=business_id,
                subject=subject,
                room_ids=room_ids,
                guest_ids=tuple(sorted(guests)),
                customer_ids=(subject.id,) if subject.kind is SubjectKind.CUSTOMER else (),
            )
            await write_outbox(session, webhook_events(SubjectErased(erasure), now))
        return erasure
