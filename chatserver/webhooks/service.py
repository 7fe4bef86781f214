"""Managing webhooks: who may register, list, remove and replay, and what is a valid webhook."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from chatserver.domain.clock import Clock, now_ms
from chatserver.domain.models import Principal
from chatserver.domain.webhooks import DeliveryPage, DeliveryStatus, Webhook
from chatserver.ports.store import BusinessStore
from chatserver.ports.webhooks import WebhookRegistry
from chatserver.protocol import ChatError, ErrorCode
from chatserver.protocol.webhook_events import ALL_EVENTS, EventType
from chatserver.usecases.conversations import require_staff_of
from chatserver.webhooks.signing import new_secret
from chatserver.webhooks.targets import RefusedTarget, TargetGuard

MAX_WEBHOOKS_PER_BUSINESS = 20
MAX_URL = 2048
NOT_PUBLIC = "url must resolve to public internet addresses only"  # protocol.md §10


def check_url(url: object) -> str:
    """An absolute http(s) URL without credentials in it."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"url must be a string of 1 to {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "url is not a valid URL", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "url must be an absolute http:// or https:// URL", field="url")
    if parts.username or parts.password:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "url must not contain credentials", field="url")
    if port == 0:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "url has no usable port", field="url")
    return url


def check_events(events: object) -> tuple[str, ...]:
    """Event types (protocol.md §13), or ``["*"]`` for all; default all."""
    if events is None:
        return (ALL_EVENTS,)
    known = {e.value for e in EventType} | {ALL_EVENTS}
    if not isinstance(events, list | tuple) or not events or not all(isinstance(e, str) for e in events):
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "events must be a non-empty list of event types", field="events")
    unknown = sorted(set(events) - known)
    if unknown:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, f"unknown event types: {', '.join(unknown)}", field="events")
    return (ALL_EVENTS,) if ALL_EVENTS in events else tuple(dict.fromkeys(events))


def check_status(status: object) -> DeliveryStatus | None:
    if status is None or status == "":
        return None
    try:
        return DeliveryStatus(str(status))
    except ValueError:
        raise ChatError(
            ErrorCode.INVALID_PAYLOAD, "status must be pending, delivered or failed", field="status"
        ) from None


async def check_target(url: str, targets: TargetGuard) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address (loopback, private,
    link-local, …), or does not resolve: one message for all, so the answer does not tell which
    internal names exist. ``url`` has passed ``check_url``."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    try:
        await targets.check(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except RefusedTarget:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, NOT_PUBLIC, field="url") from None


class WebhookService:
    def __init__(
        self,
        registry: WebhookRegistry,
        businesses: BusinessStore,
        *,
        targets: TargetGuard | None = None,
        clock: Clock = now_ms,
    ) -> None:
        self.registry = registry
        self.businesses = businesses
        self.targets = targets or TargetGuard()  # refuses non-public addresses unless told otherwise
        self.clock = clock

    async def create(self, business_id: str, url: object, events: object, *, created_by: str) -> Webhook:
        """Register a webhook (no permission check: callers check). The secret is in the result."""
        if await self.businesses.get_business(business_id) is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such business", field="businessId")
        webhook = Webhook(
            id=secrets.token_hex(12),
            business_id=business_id,
            url=check_url(url),
            events=check_events(events),
            secret=new_secret(),
            created_at=self.clock(),
            created_by=created_by[:128],
        )
        if len(await self.registry.list_webhooks(business_id)) >= MAX_WEBHOOKS_PER_BUSINESS:
            raise ChatError(
                ErrorCode.LIMIT_REACHED, f"a business may have at most {MAX_WEBHOOKS_PER_BUSINESS} webhooks"
            )
        await check_target(webhook.url, self.targets)  # last: it may wait for DNS
        await self.registry.add_webhook(webhook)
        return webhook

    async def register(self, principal: Principal | None, business_id: str, url: object, events: object) -> Webhook:
        require_staff_of(principal, business_id)
        assert principal is not None
        return await self.create(business_id, url, events, created_by=principal.user_id)

    async def list(self, principal: Principal | None, business_id: str) -> list[tuple[Webhook, dict[str, int]]]:
        require_staff_of(principal, business_id)
        return await self.registry.list_webhooks(business_id)

    async def owned(self, principal: Principal | None, webhook_id: str) -> Webhook:
        """The webhook, if ``principal`` is staff of its business."""
        if principal is None:
            raise ChatError(ErrorCode.AUTH_INVALID, "a staff bearer token is required")
        webhook = await self.registry.get_webhook(webhook_id)
        if webhook is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such webhook", field="webhookId")
        require_staff_of(principal, webhook.business_id)
        return webhook

    async def remove(self, principal: Principal | None, webhook_id: str) -> None:
        webhook = await self.owned(principal, webhook_id)
        await self.registry.remove_webhook(webhook.id)

    async def deliveries(
        self, principal: Principal | None, webhook_id: str, *, status: object, limit: int, cursor: str | None
    ) -> DeliveryPage:
        webhook = await self.owned(principal, webhook_id)
        try:
            return await self.registry.list_deliveries(
                webhook.id, status=check_status(status), limit=limit, cursor=cursor
            )
        except ValueError:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "cursor is not one this server issued", field="cursor") from None

    async def replay(
        self, principal: Principal | None, webhook_id: str, *, delivery_id: object = None, status: object = None
    ) -> int:
        webhook = await self.owned(principal, webhook_id)
        return await self.replay_unchecked(webhook.id, delivery_id=delivery_id, status=status)

    async def replay_unchecked(self, webhook_id: str, *, delivery_id: object = None, status: object = None) -> int:
        """Queue failed (or delivered) deliveries again: one by id, or every one with ``status``."""
        if delivery_id is not None and not isinstance(delivery_id, str):
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "deliveryId must be a string", field="deliveryId")
        wanted = check_status(status)
        if wanted is DeliveryStatus.PENDING:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "pending deliveries are already queued", field="status")
        if delivery_id is None and wanted is None:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "give deliveryId or status", field="deliveryId")
        return await self.registry.replay(webhook_id, delivery_id=delivery_id, status=wanted, now=self.clock())


def event_types() -> Sequence[str]:
    return [e.value for e in EventType]
