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

    async def close(self) -> None:
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
    return SqlStore(
        create_engine(settings.database_url, schema=settings.database_schema or None, timeout=settings.database_timeout)
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
    service = ChatService(store=store, hub=hub, limiter=limiter or MemoryRateLimiter(), settings=settings)
    verifier = make_verifier(settings)
    gateway = Gateway(service, verifier)
    return Runtime(settings, store, broker, hub, service, gateway, verifier)
