"""Wiring: the one place that picks concrete store, broker and limiter from settings."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from chatserver.adapters.memory.broker import MemoryBroker
from chatserver.adapters.memory.limits import MemoryRateLimiter
from chatserver.adapters.memory.presence import MemoryPresence
from chatserver.adapters.metrics import Metrics
from chatserver.adapters.sql import migrate
from chatserver.adapters.sql.engine import create_engine, is_sqlite
from chatserver.adapters.sql.privacy_sql import SqlPrivacyStore
from chatserver.adapters.sql.retention_sql import SqlRetentionStore
from chatserver.adapters.sql.sql import SqlStore
from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.config import Settings
from chatserver.domain.clock import Clock, now_ms
from chatserver.fanout.disconnects import DisconnectSignals
from chatserver.fanout.hub import Hub
from chatserver.ports.broker import Broker
from chatserver.ports.presence import Presence
from chatserver.ports.ratelimit import RateLimiter
from chatserver.realtime.gateway import Gateway, GatewayLimits
from chatserver.realtime.workflow_events import WorkflowEvents
from chatserver.usecases.admin import BusinessAdmin
from chatserver.usecases.analytics import Reports
from chatserver.usecases.automation import Automation, AutomationConfig, load_config
from chatserver.usecases.bizcache import BusinessCache
from chatserver.usecases.canned import CannedResponses
from chatserver.usecases.contacts import Contacts
from chatserver.usecases.conversations import ChatService
from chatserver.usecases.dispatch import Dispatcher
from chatserver.usecases.notifier import Notifier
from chatserver.usecases.page_views import PageViews
from chatserver.usecases.posting import Poster
from chatserver.usecases.privacy import Privacy
from chatserver.usecases.ratings import Ratings
from chatserver.usecases.retention import RetentionSweeper
from chatserver.usecases.staffauth import StaffAuth
from chatserver.usecases.sweeper import GuestSweeper
from chatserver.usecases.token_versions import TokenVersions
from chatserver.usecases.tokens import TokenVerifier
from chatserver.usecases.workflow import Workflow
from chatserver.webhooks.retry import RetryPolicy
from chatserver.webhooks.service import WebhookService
from chatserver.webhooks.targets import TargetGuard
from chatserver.webhooks.worker import Sender, WebhookWorker, WorkerSettings

log = logging.getLogger("chatserver")


class SchemaOutOfDate(RuntimeError):
    """The database schema is older than this server; run ``chatserver migrate``."""


@dataclass
class Runtime:
    """The parts ``build_runtime`` made, for the server process, the HTTP routes and tests."""

    settings: Settings
    store: SqlStore
    broker: Broker
    hub: Hub
    presence: Presence
    service: ChatService
    workflow: Workflow
    contacts: Contacts
    automation_cache: BusinessCache[AutomationConfig]
    gateway: Gateway
    verifier: TokenVerifier
    staff_auth: StaffAuth
    reports: Reports
    sweeper: GuestSweeper
    admin: BusinessAdmin
    canned: CannedResponses  # staff's canned responses (issue 17)
    webhooks: WebhookService
    privacy: Privacy  # data-subject requests (issue 16)
    retention: RetentionSweeper  # erases guests idle past their business's retention
    disconnects: DisconnectSignals  # erased visitors' connections: the transport closes them
    token_versions: TokenVersions  # revoked staff tokens: the transport closes their connections
    webhook_worker: WebhookWorker | None  # None when WEBHOOK_CONCURRENCY is 0
    metrics: Metrics
    instance_id: str
    draining: bool = False  # set by the SIGTERM drain: /readyz answers 503 from then on
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        await self.sweeper.stop()
        await self.retention.stop()
        await self.gateway.wait_closed()
        await self.service.wait_background()
        if self.webhook_worker is not None:
            await self.webhook_worker.stop()
        await self.presence.close()
        await self.hub.stop()
        for close in self.closers:
            await close()
        await self.store.close()

    async def readiness(self) -> dict[str, str]:
        """``ok`` or why not, per dependency (the database and the broker), for the store's
        recent writes, and ``server: draining`` once the drain began."""
        checks: dict[str, str] = {}
        for name, ping in (("database", self.store.ping), ("broker", self.broker.ping)):
            try:
                await asyncio.wait_for(ping(), 3)
                checks[name] = "ok"
            except Exception as exc:  # any failure means not ready; the reason is reported
                log.debug("readiness: %s unavailable", name, exc_info=True)
                checks[name] = f"unavailable: {type(exc).__name__}"
        checks["writes"] = self.store.writes.status()  # reads can work while every write fails
        if self.draining:
            checks["server"] = "draining"
        return checks


def new_instance_id() -> str:
    """Names this process in presence entries, logs and the ``X-Chatserver-Instance`` header."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def make_verifier(settings: Settings, required_version: Callable[[str], int] | None = None) -> TokenVerifier:
    """``required_version``: ``TokenVersions.required`` of the server (revoked staff tokens)."""
    return TokenVerifier(
        secret=settings.jwt_secret,
        public_key=settings.jwt_public_key,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        max_lifetime_s=settings.jwt_max_lifetime,
        required_version=required_version,
    )


def make_store(settings: Settings) -> SqlStore:
    return SqlStore(
        create_engine(
            settings.database_url,
            schema=settings.database_schema or None,
            timeout=settings.database_timeout,
            sqlite_synchronous=settings.sqlite_synchronous,
        )
    )


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


@dataclass
class Shared:
    """The parts that differ between one instance and several: broker, limits, presence."""

    broker: Broker
    limiter: RateLimiter
    presence: Presence
    closers: list[Callable[[], Awaitable[None]]]


def make_shared(settings: Settings, metrics: Metrics, instance_id: str) -> Shared:
    """In-process parts without ``REDIS_URL``; Redis ones (imported only then) with it."""
    if not settings.redis_url:
        return Shared(MemoryBroker(), MemoryRateLimiter(), MemoryPresence(), [])
    from chatserver.adapters.redis.broker import RedisBroker
    from chatserver.adapters.redis.limits import RedisRateLimiter
    from chatserver.adapters.redis.presence import RedisPresence

    url, prefix = settings.redis_url, settings.redis_prefix
    limiter = RedisRateLimiter(url, prefix=prefix, fallback=MemoryRateLimiter())
    presence = RedisPresence(url, prefix=prefix, instance_id=instance_id, ttl_ms=settings.presence_ttl * 1000)
    broker = RedisBroker(url, prefix=prefix, on_reconnect=metrics.redis_reconnected)
    return Shared(broker, limiter, presence, [limiter.close])


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


def webhook_targets(settings: Settings) -> TargetGuard:
    """The addresses webhooks may reach: registration, the CLI and the sender share it."""
    return TargetGuard(allow_private=settings.webhook_allow_private_networks)


async def start_webhook_worker(
    settings: Settings, store: SqlStore, queue: SqlWebhookStore, sender: Sender | None = None
) -> WebhookWorker | None:
    """The delivery worker of this instance, woken by the store's outbox writes."""
    if settings.webhook_concurrency == 0:
        return None
    if sender is None:
        from chatserver.adapters.http.outgoing import TornadoSender

        sender = TornadoSender(max_clients=settings.webhook_concurrency, targets=webhook_targets(settings))
    worker = WebhookWorker(queue, sender, settings=worker_settings(settings))
    store.on_outbox = worker.wake
    await worker.start()
    return worker


def make_privacy(store: SqlStore, clock: Clock, dispatcher: Dispatcher | None) -> Privacy:
    """Export and erase; an erase's webhook row wakes this instance's worker like a message's
    (``store.on_outbox``, set once the worker runs). ``dispatcher``: None for the CLI."""

    def wake_worker() -> None:
        if store.on_outbox is not None:
            store.on_outbox()

    return Privacy(store=SqlPrivacyStore(store.engine, on_outbox=wake_worker), clock=clock, publisher=dispatcher)


def gateway_limits(settings: Settings) -> GatewayLimits:
    return GatewayLimits(
        max_frames_per_second=settings.max_frames_per_second,
        frame_burst=settings.frame_burst,
        max_rooms_per_connection=settings.max_rooms_per_connection,
    )


async def build_runtime(
    settings: Settings,
    *,
    store: SqlStore | None = None,
    broker: Broker | None = None,
    limiter: RateLimiter | None = None,
    presence: Presence | None = None,
    metrics: Metrics | None = None,
    webhook_sender: Sender | None = None,
) -> Runtime:
    """Every part of a server instance, each given exactly what it uses."""
    store = store or make_store(settings)
    await prepare_schema(store, settings)
    metrics = metrics or Metrics()
    clock: Clock = now_ms
    instance_id = new_instance_id()
    shared = make_shared(settings, metrics, instance_id)
    broker = broker or shared.broker
    presence = presence or shared.presence
    hub = Hub(broker, store, telemetry=metrics)
    await hub.start()
    await presence.start()
    limiter = limiter or shared.limiter

    # the domain: staff workflow, conversions, automation (issue 4) and the use cases over them
    # every business event's realtime pushes go through the dispatcher (its webhook rows too,
    # written by the store with ``dispatch.webhook_events``)
    disconnects = DisconnectSignals(hub, broker)
    await disconnects.start()
    dispatcher = Dispatcher(hub=hub, notifier=Notifier(hub, clock=clock), disconnects=disconnects)
    workflow = Workflow(store=store, hub=hub, dispatcher=dispatcher, clock=clock, presence=presence)
    contacts = Contacts(store=store, dispatcher=dispatcher, clock=clock)
    poster = Poster(store=store, dispatcher=dispatcher, telemetry=metrics, clock=clock)
    # what automation reads per visitor message, cached per business and configuration version
    automation_cache: BusinessCache[AutomationConfig] = BusinessCache(load=partial(load_config, store))
    automation = Automation(
        config=automation_cache.get,
        presence=presence,
        post=poster.append,
        clock=clock,
        default_threshold=settings.faq_match_threshold,
    )
    service = ChatService(
        store=store,
        limiter=limiter,
        settings=settings,
        clock=clock,
        poster=poster,
        dispatcher=dispatcher,
        contacts=contacts,
        automation=automation,
    )

    token_versions = TokenVersions(store)
    await token_versions.start()
    verifier = make_verifier(settings, token_versions.required)
    gateway = Gateway(
        service=service,
        hub=hub,
        presence=presence,
        verifier=verifier,
        workflow=WorkflowEvents(
            room_for=service.room_for,
            workflow=workflow,
            pages=PageViews(store=store, dispatcher=dispatcher, clock=clock),
            ratings=Ratings(store=store, dispatcher=dispatcher, clock=clock),
            clock=clock,
        ),
        limits=gateway_limits(settings),
        on_error=metrics.error,
    )
    staff_auth = StaffAuth(store=store, limiter=limiter, settings=settings, clock=clock)
    reports = Reports(store=store, clock=clock)
    sweeper = GuestSweeper(
        store,
        timeout_ms=settings.guest_session_timeout,
        interval_s=settings.guest_sweep_interval,
        clock=clock,
    )
    sweeper.start()
    admin = BusinessAdmin(store=store, clock=clock)
    canned = CannedResponses(store=store, clock=clock)
    webhook_store = SqlWebhookStore(store.engine)
    webhooks = WebhookService(webhook_store, store, targets=webhook_targets(settings))
    worker = await start_webhook_worker(settings, store, webhook_store, webhook_sender)
    privacy = make_privacy(store, clock, dispatcher)
    retention = RetentionSweeper(
        SqlRetentionStore(store.engine, lock_name=f"chatserver-retention:{settings.database_schema}"),
        privacy,
        server_days=settings.guest_data_retention_days,
        interval_s=settings.guest_sweep_interval,
        clock=clock,
    )
    retention.start()
    log.info("instance %s: broker %s", instance_id, type(broker).__name__)
    return Runtime(
        settings=settings,
        store=store,
        broker=broker,
        hub=hub,
        presence=presence,
        service=service,
        workflow=workflow,
        contacts=contacts,
        automation_cache=automation_cache,
        gateway=gateway,
        verifier=verifier,
        staff_auth=staff_auth,
        reports=reports,
        sweeper=sweeper,
        admin=admin,
        canned=canned,
        webhooks=webhooks,
        privacy=privacy,
        retention=retention,
        disconnects=disconnects,
        token_versions=token_versions,
        webhook_worker=worker,
        metrics=metrics,
        instance_id=instance_id,
        closers=[token_versions.stop, *shared.closers],
    )
