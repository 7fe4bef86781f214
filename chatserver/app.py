"""Wiring: the one place that picks concrete store, broker and limiter from settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chatserver.broker.base import Broker
from chatserver.broker.memory import MemoryBroker
from chatserver.chat.gateway import Gateway
from chatserver.chat.hub import Hub
from chatserver.chat.ratelimit import MemoryRateLimiter, RateLimiter
from chatserver.chat.service import ChatService
from chatserver.chat.tokens import TokenVerifier
from chatserver.config import Settings
from chatserver.store import migrate
from chatserver.store.engine import create_engine, is_sqlite
from chatserver.store.sql import SqlStore
from chatserver.store.webhooks import SqlWebhookStore
from chatserver.webhooks.retry import RetryPolicy
from chatserver.webhooks.service import WebhookService
from chatserver.webhooks.worker import Sender, WebhookWorker, WorkerSettings

log = logging.getLogger("chatserver")


class SchemaOutOfDate(RuntimeError):
    """The database schema is older than this server; run ``chatserver migrate``."""


@dataclass
class Runtime:
    settings: Settings
    store: SqlStore
    broker: Broker
    hub: Hub
    service: ChatService
    gateway: Gateway
    verifier: TokenVerifier
    webhooks: WebhookService
    webhook_worker: WebhookWorker | None = None  # None when WEBHOOK_CONCURRENCY is 0

    async def close(self) -> None:
        if self.webhook_worker is not None:
            await self.webhook_worker.stop()
        await self.hub.stop()
        await self.store.close()


def make_verifier(settings: Settings) -> TokenVerifier:
    return TokenVerifier(
        secret=settings.effective_jwt_secret,
        public_key=settings.jwt_public_key,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )


def make_store(settings: Settings) -> SqlStore:
    return SqlStore(create_engine(settings.database_url, schema=settings.database_schema or None))


async def prepare_schema(store: SqlStore, settings: Settings) -> None:
    """SQLite (the embedded default) migrates itself; other databases must be migrated first."""
    if is_sqlite(settings.database_url):
        await migrate.upgrade(store.engine)
        return
    current = await migrate.current_revision(store.engine)
    if current != migrate.head_revision():
        head = migrate.head_revision()
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this server needs {head}: run 'chatserver migrate'"
        )


def worker_settings(settings: Settings) -> WorkerSettings:
    return WorkerSettings(
        concurrency=settings.webhook_concurrency,
        poll_ms=settings.webhook_poll_ms,
        timeout_ms=settings.webhook_timeout_ms,
        retention_ms=settings.webhook_retention_days * 86_400_000,
        policy=RetryPolicy(
            base_ms=settings.webhook_retry_base_ms,
            max_ms=settings.webhook_retry_max_ms,
            window_ms=settings.webhook_retry_window_ms,
        ),
    )


async def start_webhook_worker(
    settings: Settings, store: SqlStore, queue: SqlWebhookStore, sender: Sender | None = None
) -> WebhookWorker | None:
    """The delivery worker of this instance, woken by the store's outbox writes."""
    if settings.webhook_concurrency == 0:
        return None
    if sender is None:
        from chatserver.http.outgoing import TornadoSender

        sender = TornadoSender(max_clients=settings.webhook_concurrency)
    worker = WebhookWorker(queue, sender, settings=worker_settings(settings))
    store.on_outbox = worker.wake
    await worker.start()
    return worker


async def build_runtime(
    settings: Settings,
    *,
    store: SqlStore | None = None,
    broker: Broker | None = None,
    limiter: RateLimiter | None = None,
    webhook_sender: Sender | None = None,
) -> Runtime:
    store = store or make_store(settings)
    await prepare_schema(store, settings)
    broker = broker or MemoryBroker()
    hub = Hub(broker, store)
    await hub.start()
    service = ChatService(store=store, hub=hub, limiter=limiter or MemoryRateLimiter(), settings=settings)
    verifier = make_verifier(settings)
    gateway = Gateway(service, verifier)
    webhook_store = SqlWebhookStore(store.engine)
    webhooks = WebhookService(webhook_store, store)
    worker = await start_webhook_worker(settings, store, webhook_store, webhook_sender)
    return Runtime(settings, store, broker, hub, service, gateway, verifier, webhooks, worker)
