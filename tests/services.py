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

from tests.procs import free_port

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


def cleanup_redis_prefix(prefix: str, url: str = REDIS_URL) -> None:
    """Delete every key under ``prefix`` (tests leave nothing behind on the shared Redis)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A key and channel prefix of this test's own on the machine's Redis, cleaned afterwards."""
    require_redis()
    prefix = unique_name("t") + ":"
    try:
        yield prefix
    finally:
        cleanup_redis_prefix(prefix)


class PrivateRedis:
    """A ``redis-server`` of this test's own on a free port, which the test may kill and restart.

    Started and stopped by pid only; nothing is written to disk."""

    def __init__(self) -> None:
        import shutil

        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            message = "redis-server is not installed (needed to restart a private Redis)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        self.binary = binary
        self.port = free_port()
        self.proc: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def spawn(self) -> None:
        import subprocess

        assert self.proc is None, "already running"
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [*args, "--loglevel", "warning", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def is_up(self) -> bool:
        return _reachable("127.0.0.1", self.port)

    def start(self, within_s: float = 10.0) -> None:
        """Spawn and wait (blocking: for fixtures, not inside a running test)."""
        import time

        self.spawn()
        deadline = time.monotonic() + within_s
        while not self.is_up():
            if time.monotonic() > deadline:
                raise TimeoutError(f"private redis-server on {self.port} did not start")
            time.sleep(0.02)

    async def astart(self, within_s: float = 10.0) -> None:
        """Spawn and wait without blocking the event loop (inside a running test)."""
        import asyncio

        self.spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while not self.is_up():
            if loop.time() > deadline:
                raise TimeoutError(f"private redis-server on {self.port} did not start")
            await asyncio.sleep(0.02)

    def kill(self) -> None:
        """``kill -9``, as a crash would; waits for the process to be gone."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None
