"""Wiring: the one place that picks concrete store, broker and limiter from settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chatserver.broker.base import Broker
from chatserver.broker.memory import MemoryBroker
from chatserver.chat.admin import BusinessAdmin
from chatserver.chat.analytics import Reports
from chatserver.chat.gateway import Gateway
from chatserver.chat.hub import Hub
from chatserver.chat.presence import MemoryPresence
from chatserver.chat.ratelimit import MemoryRateLimiter, RateLimiter
from chatserver.chat.service import ChatService
from chatserver.chat.staffauth import StaffAuth
from chatserver.chat.sweeper import GuestSweeper
from chatserver.chat.tokens import TokenVerifier
from chatserver.config import Settings
from chatserver.store import migrate
from chatserver.store.engine import create_engine, is_sqlite
from chatserver.store.sql import SqlStore

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
    # business features (issue 4)
    presence: MemoryPresence
    staff_auth: StaffAuth
    reports: Reports
    sweeper: GuestSweeper
    admin: BusinessAdmin

    async def close(self) -> None:
        await self.sweeper.stop()
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


async def build_runtime(
    settings: Settings,
    *,
    store: SqlStore | None = None,
    broker: Broker | None = None,
    limiter: RateLimiter | None = None,
) -> Runtime:
    store = store or make_store(settings)
    await prepare_schema(store, settings)
    broker = broker or MemoryBroker()
    hub = Hub(broker, store)
    await hub.start()
    limiter = limiter or MemoryRateLimiter()
    presence = MemoryPresence()
    service = ChatService(store=store, hub=hub, limiter=limiter, settings=settings, presence=presence)
    verifier = make_verifier(settings)
    gateway = Gateway(service, verifier, staff_tracker=presence)
    staff_auth = StaffAuth(store=store, limiter=limiter, settings=settings, clock=service.clock)
    reports = Reports(store=store, clock=service.clock)
    sweeper = GuestSweeper(
        store,
        timeout_ms=settings.guest_session_timeout,
        interval_s=settings.guest_sweep_interval,
        clock=service.clock,
    )
    sweeper.start()
    admin = BusinessAdmin(store=store, clock=service.clock)
    return Runtime(
        settings, store, broker, hub, service, gateway, verifier, presence, staff_auth, reports, sweeper, admin
    )
