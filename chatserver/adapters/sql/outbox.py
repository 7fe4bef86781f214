"""Writing webhook events into the outbox inside the caller's transaction.

This is the hook for every change that produces a webhook event: inside ``SqlStore._tx()``,
after making the change, call ``await write_outbox(session, [event])`` with an event built by
``chatserver.protocol.webhook_events`` from the state just written. The event commits or rolls back
with the change; ``SqlStore`` wakes the webhook worker after the commit.

Events only go to businesses that have a webhook when the change commits. Finding that out is a
lookup in the ``webhooks`` table; a caller on a hot path (every stored message) evaluates it
inside a statement it runs anyway (``has_webhook_column``) and passes the answer as ``hooked``,
so a business without webhooks pays no extra statement and no cache can go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, ColumnElement, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.adapters.sql.compiled import Compiled
from chatserver.adapters.sql.models import WebhookEventRow, WebhookRow
from chatserver.adapters.sql.plan import Step
from chatserver.protocol.webhook_events import OutboxEvent

WROTE = "chatserver.outbox.wrote"  # session.info flag: the transaction added outbox rows


def has_webhook_column() -> ColumnElement[bool]:
    """``EXISTS`` a webhook of the room's business, for a statement on ``rooms`` (an UPDATE's
    RETURNING): the per-message check rides on the message's own UPDATE.

    Written out: SQLAlchemy renders RETURNING columns unqualified on SQLite, which turned the
    correlation into ``business_id = business_id`` inside the subquery (true for every room as
    soon as any business had a webhook)."""
    return literal_column(
        "EXISTS (SELECT 1 FROM webhooks WHERE webhooks.business_id = rooms.business_id)", Boolean
    ).label("hooked")


def outbox_steps(insert: Compiled, events: Iterable[OutboxEvent]) -> Iterator[Step]:
    """A plan's steps writing ``events``' rows (each marked, so the driver wakes the worker)."""
    for event in events:
        yield Step(insert.sql, insert.bind(outbox_row(event)), False, outbox=True)


def outbox_row(event: OutboxEvent) -> dict[str, Any]:
    """The ``webhook_events`` row of an event, not yet dispatched."""
    return {
        "id": event.id,
        "business_id": event.business_id,
        "type": event.type.value,
        "order_key": event.order_key,
        "body": event.body,
        "created_at": event.created_at,
        "dispatched_at": None,
    }


async def write_outbox(session: AsyncSession, events: Sequence[OutboxEvent], *, hooked: bool | None = None) -> bool:
    """Insert the events whose business has a webhook (others would reach nobody). ``hooked``:
    the caller already knows whether the (single) business of ``events`` has one. Returns
    whether anything was written."""
    if not events or hooked is False:
        return False
    businesses = {event.business_id for event in events}
    if hooked is True and len(businesses) == 1:
        with_webhooks = businesses
    else:
        with_webhooks = set(
            (
                await session.execute(
                    select(WebhookRow.business_id).where(WebhookRow.business_id.in_(businesses)).distinct()
                )
            )
            .scalars()
            .all()
        )
    rows = [outbox_row(event) for event in events if event.business_id in with_webhooks]
    if not rows:
        return False
    await session.execute(insert(WebhookEventRow), rows)
    session.info[WROTE] = True
    return True
