"""Webhook values: subscriptions, deliveries, claims and attempt results. Plain data: their JSON
form is ``chatserver.protocol.webhook_payloads``'s; the store interfaces are in
``chatserver.ports.webhooks``."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt, or being attempted
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # retries exhausted; staff can replay it


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    business_id: str
    url: str
    events: tuple[str, ...]  # event types, or ("*",) for all
    secret: str  # shown once, when the webhook is created
    created_at: int
    created_by: str


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int | None
    last_status: int | None  # HTTP status of the last attempt, if one came back
    last_error: str | None
    created_at: int
    delivered_at: int | None


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: list[Delivery]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery leased to one worker for one attempt."""

    delivery_id: str
    url: str
    secret: str
    event_id: str
    event_type: str
    body: str
    attempts: int  # attempts made before this one
    retry_from: int


@dataclass(frozen=True, slots=True)
class AttemptResult:
    status: int | None = None  # HTTP status, when a response came back
    error: str | None = None  # why it failed, as staff see it: "could not connect", "timed out", "HTTP 503"
    detail: str | None = None  # the socket-level reason, for the operator's log only (never stored)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300
