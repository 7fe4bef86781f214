"""Fixtures for multi-process tests: a migrated PostgreSQL schema of the test's own, a Redis
prefix of its own, a business, and ``start(...)`` to launch ``chatserver serve`` processes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from chatserver.chat.clock import now_ms
from chatserver.store import migrate
from chatserver.store.engine import create_engine
from chatserver.store.sql import SqlStore
from tests.cluster.harness import Instance
from tests.conftest import SECRET
from tests.services import PG_URL, REDIS_URL, postgres_schema, redis_prefix, require_redis, run_aside

Start = Callable[..., Awaitable[list[Instance]]]


@pytest.fixture
def cluster_db() -> Iterator[str]:
    """A fresh schema, migrated as an operator would before starting instances."""
    with postgres_schema() as schema:

        async def upgrade() -> None:
            engine = create_engine(PG_URL, schema=schema)
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()

        run_aside(upgrade())
        yield schema


@pytest.fixture
def cluster_business(cluster_db: str) -> str:
    async def create() -> str:
        store = SqlStore(create_engine(PG_URL, schema=cluster_db))
        try:
            return (await store.create_business("Acme", now_ms())).id
        finally:
            await store.close()

    return run_aside(create())


@pytest.fixture
def cluster_redis() -> Iterator[tuple[str, str]]:
    require_redis()
    with redis_prefix() as prefix:
        yield REDIS_URL, prefix


@pytest.fixture
def start(cluster_db: str, cluster_redis: tuple[str, str], tmp_path: Path) -> Iterator[Start]:
    """``await start("a", "b", REDIS_URL=..., SETTING=...)``: ready instances sharing the database
    and Redis; all stopped (by pid) at teardown."""
    instances: list[Instance] = []
    redis_url, prefix = cluster_redis

    async def _start(*names: str, **env: str) -> list[Instance]:
        base = {
            "DATABASE_URL": PG_URL,
            "DATABASE_SCHEMA": cluster_db,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": prefix,
            "JWT_SECRET": SECRET,
            "GUEST_MESSAGE_RATE_LIMIT": "100000",
            "MAX_FRAMES_PER_SECOND": "0",  # these clients send as fast as they can on purpose
            "LOG_LEVEL": "INFO",
        }
        started = [Instance(name, {**base, **env}, tmp_path / f"{name}.log") for name in names]
        instances.extend(started)
        for instance in started:
            instance.spawn()
        await asyncio.gather(*(instance.wait_ready() for instance in started))
        return started

    yield _start
    for instance in instances:
        instance.stop()
