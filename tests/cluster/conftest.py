"""Fixtures for multi-process tests: a migrated PostgreSQL schema of the test's own, a Redis
prefix of its own, a business, and ``start(...)`` to launch ``chatserver serve`` processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from chatserver.adapters.sql import migrate
from chatserver.adapters.sql.engine import create_engine
from chatserver.adapters.sql.sql import SqlStore
from chatserver.domain.clock import now_ms
from tests.cluster.harness import START_WITHIN_S, instance
from tests.conftest import SECRET
from tests.procs import ServerProcess, astart_together
from tests.services import PG_URL, REDIS_URL, postgres_schema, redis_prefix, require_redis, run_aside

Start = Callable[..., Awaitable[list[ServerProcess]]]


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
def cluster_env(cluster_db: str, cluster_redis: tuple[str, str]) -> dict[str, str]:
    """The settings every instance of a test's cluster shares: its database schema and Redis prefix."""
    redis_url, prefix = cluster_redis
    return {
        "DATABASE_URL": PG_URL,
        "DATABASE_SCHEMA": cluster_db,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": prefix,
        "JWT_SECRET": SECRET,
        "GUEST_MESSAGE_RATE_LIMIT": "100000",
        "MAX_FRAMES_PER_SECOND": "0",  # these clients send as fast as they can on purpose
    }


@pytest.fixture
def start(cluster_env: dict[str, str], tmp_path: Path) -> Iterator[Start]:
    """``await start("a", "b", REDIS_URL=..., SETTING=...)``: ready instances sharing the database
    and Redis; all stopped (by pid) at teardown."""
    instances: list[ServerProcess] = []

    async def _start(*names: str, **env: str) -> list[ServerProcess]:
        settings = {**cluster_env, "LOG_LEVEL": "INFO", **env}
        started = [instance(name, settings, tmp_path / f"{name}.log") for name in names]
        instances.extend(started)
        await astart_together(*started, timeout=START_WITHIN_S)
        return started

    yield _start
    for server in instances:
        server.stop()
