"""The servers under test, as subprocesses on free loopback ports: CPU/RSS on top of
``tests.procs.ServerProcess``, the one process wrapper (start, health, stop) that the tests use
too. ``tests.procs`` is standard library only, so the ``bench`` extra is all this needs.

``Database`` prepares a fresh store for chatserver (a new SQLite file, or a new PostgreSQL schema
migrated with ``chatserver migrate``) holding one business and ``extra_businesses`` more; every
server is stopped by its pid.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.procs import ServerProcess, chatserver_cmd, free_port

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BUSINESS_ROW = "SELECT * FROM businesses WHERE id = :id"  # copied for the extra businesses, whatever its columns
UNLIMITED_GUEST_RATE = "1000000000"  # the per-guest rate limit is a product rule, not under test here


def ours_has_redis_broker() -> bool:
    """chatserver fans out across instances only once its Redis broker exists (issue 3)."""
    return importlib.util.find_spec("chatserver.adapters.redis.broker") is not None


@dataclass
class Database:
    """A fresh chatserver store for one workload run."""

    backend: str  # "sqlite" or "postgres"
    workdir: Path
    url: str = ""
    schema: str = ""
    business_id: str = ""
    # ``pairs``/``cluster``: one business per room, so a staff member sees only its own room
    # (staff receive every room update of their business; the reference has no such list)
    pair_businesses: list[str] = field(default_factory=list)
    extra_businesses: int = 0

    def env(self) -> dict[str, str]:
        env = {"DATABASE_URL": self.url}
        if self.schema:
            env["DATABASE_SCHEMA"] = self.schema
        return env

    def create(self) -> Database:
        tag = secrets.token_hex(4)
        if self.backend == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self.workdir / f'bench-{tag}.db'}"
        else:
            self.url, self.schema = PG_URL, f"bench_{tag}"
            _pg(f'CREATE SCHEMA "{self.schema}"')
        ids = asyncio.run(self._migrate_and_add_business())
        self.business_id, self.pair_businesses = ids[0], ids[1:]
        return self

    async def _migrate_and_add_business(self) -> list[str]:
        """What ``chatserver migrate`` and ``chatserver business add`` do, without two more
        interpreter starts. The first business is made by the store; the others are copies of
        its row with new ids and names, inserted in one statement (``idle`` wants thousands)."""
        from sqlalchemy import text

        from chatserver.adapters.sql import migrate
        from chatserver.composition import make_store
        from chatserver.config import load_settings
        from chatserver.domain.clock import now_ms

        store = make_store(load_settings(self.env()))
        try:
            await migrate.upgrade(store.engine)
            first = (await store.create_business("Bench 0", now_ms())).id
            if not self.extra_businesses:
                return [first]
            async with store.engine.begin() as conn:
                row = dict((await conn.execute(text(BUSINESS_ROW), {"id": first})).mappings().one())
                copies = [
                    {**row, "id": secrets.token_hex(12), "name": f"Bench {i}"}
                    for i in range(1, 1 + self.extra_businesses)
                ]
                columns = ", ".join(row)
                values = ", ".join(f":{c}" for c in row)
                await conn.execute(text(f"INSERT INTO businesses ({columns}) VALUES ({values})"), copies)
            return [first] + [c["id"] for c in copies]
        finally:
            await store.close()

    def drop(self) -> None:
        if self.backend == "postgres" and self.schema:
            _pg(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        elif self.url:
            path = Path(self.url.removeprefix("sqlite+aiosqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def _pg(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


class Server(ServerProcess):
    """One server under load: ``tests.procs.ServerProcess`` (start, health, stop) plus what the
    benchmark measures, its CPU time and memory. ``kind`` is ``ours`` or ``sio`` (the
    python-socketio reference)."""

    def __init__(self, kind: str, cmd: list[str], env: dict[str, str], port: int, log_path: Path) -> None:
        super().__init__(env, port, log_path, name=f"{kind} server", command=cmd)
        self.kind = kind
        self.ps: psutil.Process | None = None

    @property
    def url(self) -> str:
        """Where the load generator connects; each wire dialect adds its own path."""
        return f"ws://127.0.0.1:{self.port}"

    def spawn(self) -> Server:
        super().spawn()
        self.ps = psutil.Process(self.pid)
        return self

    def start(self, timeout: float = 60) -> Server:
        super().start(timeout)
        return self

    def cpu_seconds(self) -> float:
        assert self.ps is not None
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss_bytes(self) -> int:
        assert self.ps is not None
        return int(self.ps.memory_info().rss)

    def settle(self, idle_percent: float = 10.0, timeout: float = 20.0) -> None:
        """Wait until the server has worked off any backlog a saturating step left behind."""
        assert self.ps is not None
        deadline = time.monotonic() + timeout
        self.ps.cpu_percent(None)
        while time.monotonic() < deadline:
            time.sleep(0.25)
            if self.ps.cpu_percent(None) < idle_percent:
                return


def ours(db: Database, secret: str, logs: Path, *, redis_prefix: str = "") -> Server:
    port = free_port()
    env = {
        **db.env(),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "JWT_SECRET": secret,
        "GUEST_MESSAGE_RATE_LIMIT": UNLIMITED_GUEST_RATE,
        # the load generator is one address sending as fast as asked: per-address and
        # per-connection abuse limits are off, as the reference server has none
        "MAX_CONNECTIONS_PER_IP": "0",
        "MAX_HALF_OPEN_PER_IP": "0",
        "GUEST_REGISTRATIONS_PER_IP_PER_MINUTE": "0",
        "MAX_FRAMES_PER_SECOND": "0",
        "LOG_LEVEL": "WARNING",
    }
    if redis_prefix:
        env |= {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": redis_prefix}
    return Server("ours", chatserver_cmd("serve"), env, port, logs / f"ours-{port}.log")


def reference(secret: str, logs: Path, *, redis_channel: str = "") -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "scripts.bench.sio_server", "--port", str(port), "--jwt-secret", secret]
    if redis_channel:
        cmd += ["--redis-url", REDIS_URL, "--redis-channel", redis_channel]
    return Server("sio", cmd, {}, port, logs / f"sio-{port}.log")
