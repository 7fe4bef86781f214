"""Webhook registrations, the outbox and deliveries on SQLAlchemy: ``WebhookRegistry`` and
``DeliveryQueue`` (``chatserver.domain.webhooks``).

Several workers (one per instance) may drain the queue at once. Each outbox event is fanned out
by the worker that flips its ``dispatched_at``; each attempt is leased by a conditional UPDATE,
so two workers never hold the same delivery. A delivery is only claimed when no earlier delivery
of the same webhook and room is still pending: a room's events reach a receiver in order.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.cursors import decode_cursor, encode_cursor
from chatserver.adapters.sql.models import WebhookDeliveryRow, WebhookEventRow, WebhookRow
from chatserver.adapters.sql.sessions import SqlSessions
from chatserver.domain.webhooks import AttemptResult, Claim, DeliveryPage, DeliveryStatus, Webhook
from chatserver.protocol.webhook_events import ALL_EVENTS

PENDING = DeliveryStatus.PENDING.value
FINISHED = (DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def subscribed(events: list[str] | tuple[str, ...], event_type: str) -> bool:
    return ALL_EVENTS in events or event_type in events


class SqlWebhookStore(SqlSessions):
    """The webhook registry and delivery queue; transactions and error mapping are ``SqlSessions``'s."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._skip_locked = engine.dialect.name == "postgresql"

    # registry

    async def add_webhook(self, webhook: Webhook) -> None:
        async with self._tx() as session:
            session.add(
                WebhookRow(
                    id=webhook.id,
                    business_id=webhook.business_id,
                    url=webhook.url,
                    secret=webhook.secret,
                    events=list(webhook.events),
                    created_at=webhook.created_at,
                    created_by=webhook.created_by,
                )
            )

    async def get_webhook(self, webhook_id: str) -> Webhook | None:
        async with self._tx() as session:
            row = await session.get(WebhookRow, webhook_id)
        return None if row is None else rows.webhook(row)

    async def list_webhooks(self, business_id: str) -> list[tuple[Webhook, dict[str, int]]]:
        """The business's webhooks, oldest first, with their delivery counts per status."""
        async with self._tx() as session:
            hooks = (
                (
                    await session.execute(
                        select(WebhookRow)
                        .where(WebhookRow.business_id == business_id)
                        .order_by(WebhookRow.created_at, WebhookRow.id)
                    )
                )
                .scalars()
                .all()
            )
            counts = (
                await session.execute(
                    select(WebhookDeliveryRow.webhook_id, WebhookDeliveryRow.status, func.count())
                    .where(WebhookDeliveryRow.webhook_id.in_([hook.id for hook in hooks]))
                    .group_by(WebhookDeliveryRow.webhook_id, WebhookDeliveryRow.status)
                )
            ).all()
        stats: dict[str, dict[str, int]] = {}
        for webhook_id, status, count in counts:
            stats.setdefault(webhook_id, {})[status] = int(count)
        return [(rows.webhook(hook), stats.get(hook.id, {})) for hook in hooks]

    async def remove_webhook(self, webhook_id: str) -> bool:
        async with self._tx() as session:
            await session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == webhook_id))
            result = await session.execute(delete(WebhookRow).where(WebhookRow.id == webhook_id))
        return _rowcount(result) > 0

    async def list_deliveries(
        self, webhook_id: str, *, status: DeliveryStatus | None, limit: int, cursor: str | None
    ) -> DeliveryPage:
        """Newest first. Raises ValueError for a cursor this store did not issue."""
        query = select(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == webhook_id)
        if status is not None:
            query = query.where(WebhookDeliveryRow.status == status.value)
        if cursor:
            at, last_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    WebhookDeliveryRow.created_at < at,
                    and_(WebhookDeliveryRow.created_at == at, WebhookDeliveryRow.id < last_id),
                )
            )
        query = query.order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id.desc()).limit(limit + 1)
        async with self._tx() as session:
            found = (await session.execute(query)).scalars().all()
        page = found[:limit]
        next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(found) > limit else None
        return DeliveryPage([rows.delivery(row) for row in page], next_cursor)

    async def replay(self, webhook_id: str, *, delivery_id: str | None, status: DeliveryStatus | None, now: int) -> int:
        """Queue finished deliveries again (one, or all with ``status``), with a fresh retry window
        (``attempts`` counts from the replay)."""
        query = update(WebhookDeliveryRow).where(
            WebhookDeliveryRow.webhook_id == webhook_id, WebhookDeliveryRow.status.in_(FINISHED)
        )
        if delivery_id is not None:
            query = query.where(WebhookDeliveryRow.id == delivery_id)
        if status is not None:
            query = query.where(WebhookDeliveryRow.status == status.value)
        query = query.values(
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            retry_from=now,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
        async with self._tx() as session:
            result = await session.execute(query)
        return _rowcount(result)

    # queue

    async def dispatch(self, now: int, limit: int) -> int:
        """Turn up to ``limit`` outbox events into one pending delivery per subscribed webhook."""
        query = (
            select(WebhookEventRow.seq, WebhookEventRow.id, WebhookEventRow.business_id, WebhookEventRow.type)
            .add_columns(WebhookEventRow.order_key)
            .where(WebhookEventRow.dispatched_at.is_(None))
            .order_by(WebhookEventRow.seq)
            .limit(limit)
        )
        if self._skip_locked:
            query = query.with_for_update(skip_locked=True)
        async with self._tx() as session:
            events = (await session.execute(query)).all()
            if not events:
                return 0
            businesses = {e.business_id for e in events}
            hooks = (await session.execute(select(WebhookRow).where(WebhookRow.business_id.in_(businesses)))).scalars()
            by_business: dict[str, list[WebhookRow]] = {}
            for hook in hooks:
                by_business.setdefault(hook.business_id, []).append(hook)
            deliveries: list[dict[str, Any]] = []
            for event in events:
                flipped = await session.execute(
                    update(WebhookEventRow)
                    .where(WebhookEventRow.seq == event.seq, WebhookEventRow.dispatched_at.is_(None))
                    .values(dispatched_at=now)
                )
                if _rowcount(flipped) != 1:
                    continue  # another worker got it first
                deliveries += [
                    {
                        "id": secrets.token_hex(12),
                        "webhook_id": hook.id,
                        "event_seq": event.seq,
                        "event_id": event.id,
                        "event_type": event.type,
                        "order_key": event.order_key,
                        "status": PENDING,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "retry_from": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for hook in by_business.get(event.business_id, [])
                    if subscribed(hook.events or [], event.type)
                ]
            if deliveries:
                await session.execute(insert(WebhookDeliveryRow), deliveries)
        return len(events)

    async def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list[Claim]:
        """Lease up to ``limit`` due deliveries, at most one per (webhook, room) — the oldest."""
        if limit <= 0:
            return []
        d = WebhookDeliveryRow
        earlier = aliased(WebhookDeliveryRow)
        blocked = exists().where(
            earlier.webhook_id == d.webhook_id,
            earlier.order_key == d.order_key,
            earlier.status == PENDING,
            earlier.event_seq < d.event_seq,
        )
        # an earlier event of the same room not yet turned into deliveries (another worker holds
        # it in ``dispatch``) will become an earlier delivery: wait for it too
        earlier_event = aliased(WebhookEventRow)
        undispatched = exists().where(
            earlier_event.order_key == d.order_key,
            earlier_event.dispatched_at.is_(None),
            earlier_event.seq < d.event_seq,
        )
        free = or_(d.lease_until.is_(None), d.lease_until <= now)
        due = (
            select(d.id)
            .where(d.status == PENDING, d.next_attempt_at <= now, free, ~blocked, ~undispatched)
            .order_by(d.next_attempt_at, d.event_seq)
            .limit(limit)
        )
        async with self._tx() as session:
            candidates = (await session.execute(due)).scalars().all()
            claimed = []
            for delivery_id in candidates:
                leased = await session.execute(
                    update(d)
                    .where(d.id == delivery_id, d.status == PENDING, free)
                    .values(lease_owner=owner, lease_until=now + lease_ms, updated_at=now)
                )
                if _rowcount(leased) == 1:
                    claimed.append(delivery_id)
            if not claimed:
                return []
            found = (
                await session.execute(
                    select(d, WebhookRow.url, WebhookRow.secret, WebhookEventRow.body)
                    .join(WebhookRow, WebhookRow.id == d.webhook_id)
                    .join(WebhookEventRow, WebhookEventRow.seq == d.event_seq)
                    .where(d.id.in_(claimed))
                    .order_by(d.event_seq)
                )
            ).all()
        return [rows.claim(row) for row in found]

    async def record(self, delivery_id: str, result: AttemptResult, *, now: int, next_attempt_at: int | None) -> None:
        """The outcome of one attempt; without ``next_attempt_at`` a failure is final."""
        values: dict[str, Any] = {
            "attempts": WebhookDeliveryRow.attempts + 1,
            "last_status": result.status,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
        }
        if not result.ok:  # kept after a later success: it shows the delivery needed retries
            values["last_error"] = (result.error or "failed")[:500]
        if result.ok:
            values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now)
        elif next_attempt_at is None:
            values.update(status=DeliveryStatus.FAILED.value)
        else:
            values.update(next_attempt_at=next_attempt_at)
        async with self._tx() as session:
            await session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.status == PENDING)
                .values(**values)
            )

    async def release(self, owner: str) -> None:
        """Give back this worker's leases (on shutdown), so the deliveries are retried at once."""
        async with self._tx() as session:
            await session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.lease_owner == owner, WebhookDeliveryRow.status == PENDING)
                .values(lease_owner=None, lease_until=None)
            )

    async def prune(self, before: int) -> int:
        """Forget finished deliveries last touched before ``before``, and events nobody needs."""
        async with self._tx() as session:
            gone = await session.execute(
                delete(WebhookDeliveryRow).where(
                    WebhookDeliveryRow.status.in_(FINISHED), WebhookDeliveryRow.updated_at < before
                )
            )
            await session.execute(
                delete(WebhookEventRow).where(
                    WebhookEventRow.dispatched_at < before,
                    ~exists().where(WebhookDeliveryRow.event_seq == WebhookEventRow.seq),
                )
            )
        return _rowcount(gone)
