"""Writing webhook events into the outbox inside the caller's transaction.

This is the hook for every change that produces a webhook event: inside ``SqlStore._tx()``,
after making the change, call ``await write_outbox(session, [event])`` with an event built by
``chatserver.webhooks.events`` from the state just written. The event commits or rolls back
with the change; ``SqlStore`` wakes the webhook worker after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.store.models import WebhookEventRow, WebhookRow
from chatserver.webhooks.events import OutboxEvent

WROTE = "chatserver.outbox.wrote"  # session.info flag: the transaction added outbox rows


async def write_outbox(session: AsyncSession, events: Sequence[OutboxEvent]) -> bool:
    """Insert the events whose business has a webhook (others would reach nobody). Returns
    whether anything was written."""
    if not events:
        return False
    businesses = {event.business_id for event in events}
    hooked = set(
        (await session.execute(select(WebhookRow.business_id).where(WebhookRow.business_id.in_(businesses)).distinct()))
        .scalars()
        .all()
    )
    rows = [
        {
            "id": event.id,
            "business_id": event.business_id,
            "type": event.type.value,
            "order_key": event.order_key,
            "body": event.body,
            "created_at": event.created_at,
            "dispatched_at": None,
        }
        for event in events
        if event.business_id in hooked
    ]
    if not rows:
        return False
    await session.execute(insert(WebhookEventRow), rows)
    session.info[WROTE] = True
    return True
