"""Access to the machine's PostgreSQL and Redis for tests.

Locally a missing service skips the tests that need it; in CI (``CI=true``) it fails them,
so a green CI run always means they ran.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(service: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{service} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests needing it fail instead of skipping)")
    pytest.skip(message)


def require_postgres() -> None:
    require("PostgreSQL", "127.0.0.1", 5432)


def require_redis() -> None:
    require("Redis", "127.0.0.1", 6379)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh, empty schema in the ``test`` database, dropped afterwards."""
    import asyncpg

    require_postgres()
    schema = unique_name("t")
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_aside(run(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        run_aside(run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def run_aside(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private loop without touching the current one (unlike asyncio.run,
    which unsets it and so strands tornado's IOLoop)."""
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
