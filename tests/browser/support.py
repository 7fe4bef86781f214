"""What the browser tests share: the server as a subprocess, the browser's path and flags, tokens.

The server runs as ``python -m chatserver serve`` so a test can kill and restart it on the same
port and database. Playwright never downloads a browser: it launches ``/usr/bin/chromium``.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatserver.app import make_store
from chatserver.chat.clock import now_ms
from chatserver.chat.models import NewMessage, NewRoom, SenderType
from chatserver.config import Settings
from chatserver.store import migrate
from tests.conftest import SECRET, make_token
from tests.services import PG_URL, free_port, postgres_schema

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 20_000  # upper bound for any DOM condition; tests wait on conditions, never on time


@dataclass
class ServerProcess:
    """One ``chatserver serve`` process; ``restart`` keeps the port and the database."""

    database_url: str
    schema: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)  # more settings (REDIS_URL, REDIS_PREFIX, ...)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, database_schema=self.schema, jwt_secret=SECRET)

    def start(self) -> None:
        self.spawn()
        self.wait_healthy()

    def spawn(self) -> None:
        env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "DATABASE_URL": self.database_url,
            "DATABASE_SCHEMA": self.schema,
            "JWT_SECRET": SECRET,
            "LOG_LEVEL": "INFO",
            **self.env,
        }
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "chatserver", "serve"], env=env, stdout=log, stderr=log)

    def wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"server did not answer /healthz:\n{self.log_tail()}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        self.send_signal(sig)
        self.wait_stopped()

    def send_signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_stopped(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # direct database access, as an operator or another instance would write

    def _run(self, fn: Any) -> Any:
        async def go() -> Any:
            store = make_store(self.settings)
            try:
                return await fn(store)
            finally:
                await store.close()

        return in_thread(asyncio.run, go())

    def create_business(self, name: str) -> str:
        return str(self._run(lambda store: store.create_business(name, now_ms())).id)

    def create_guest_room(
        self,
        business_id: str,
        user_name: str,
        *,
        created_at: int | None = None,
        email: str | None = None,
        guest: bool = True,
    ) -> str:
        """A room as a guest (or, ``guest=False``, a customer) opened it, at ``created_at`` (default now)."""
        new = NewRoom(
            business_id=business_id,
            room_name=f"Chat with {user_name}",
            user_type="guest" if guest else "customer",
            user_id=None if guest else f"cust-{user_name.lower()}",
            user_name=user_name,
            is_guest=guest,
            guest_id=f"guest_{now_ms()}_{secrets.token_hex(4)}" if guest else None,
            user_agent="seed" if guest else None,
            email=email,
            tags=("anonymous",) if guest else (),
        )
        when = now_ms() if created_at is None else created_at
        return str(self._run(lambda store: store.create_room(new, when)).id)

    def append(self, room_id: str, *contents: str, sender: str = "Bob", sender_type: str = "staff") -> None:
        """Store messages directly, as another instance would while this one is away."""
        news = [
            NewMessage(
                room_id=room_id,
                sender_id=f"{sender_type}-{sender.lower()}",
                sender_type=SenderType(sender_type),
                sender_name=sender,
                is_guest=sender_type == "guest",
                content=content,
            )
            for content in contents
        ]

        async def store_all(store: Any) -> None:
            for new in news:
                await store.append_message(new, now_ms())

        self._run(store_all)


class HostPages:
    """A real web server for host pages. Real, not a Playwright route: Chromium lets a page load
    scripts from a loopback address only when the page itself comes from one."""

    def __init__(self) -> None:
        pages: dict[str, str] = {}
        self.pages = pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                html = pages.get(self.path.split("?")[0])
                body = (html or "not found").encode()
                self.send_response(200 if html is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, html: str) -> str:
        """Serve ``html`` at ``path``; returns its URL."""
        self.pages[path] = html
        return f"http://localhost:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def in_thread(fn: Any, *args: Any) -> Any:
    """Call ``fn`` on a worker thread: Playwright's sync API keeps an event loop running on this
    one, so helpers that run their own loop (asyncio.run, tests.services.run_aside) cannot."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


@contextmanager
def postgres_schema_aside() -> Iterator[str]:
    """``tests.services.postgres_schema`` with its setup and teardown on a worker thread."""
    manager = postgres_schema()
    schema = in_thread(manager.__enter__)
    try:
        yield schema
    finally:
        in_thread(manager.__exit__, None, None, None)


def start_server(backend: str, tmp_path: Path, schema: str = "") -> ServerProcess:
    """Start ``chatserver serve`` on SQLite (a file in ``tmp_path``) or PostgreSQL (``schema``)."""
    if backend == "sqlite":
        server = ServerProcess(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", "", tmp_path / "server.log")
    else:
        server = ServerProcess(PG_URL, schema, tmp_path / "server.log")
        migrate_schema(server)
    server.start()
    return server


def migrate_schema(server: ServerProcess) -> None:
    """As an operator runs ``chatserver migrate`` before starting instances on PostgreSQL."""

    async def upgrade(store: Any) -> None:
        await migrate.upgrade(store.engine)

    server._run(upgrade)


def start_instances(schema: str, tmp_path: Path, env: dict[str, str], *names: str) -> list[ServerProcess]:
    """Several ``chatserver serve`` processes sharing one PostgreSQL schema (migrated here) and
    ``env`` (Redis); started together, each answering ``/healthz`` on return."""
    servers = [ServerProcess(PG_URL, schema, tmp_path / f"{name}.log", env=dict(env)) for name in names]
    migrate_schema(servers[0])
    try:
        for server in servers:
            server.spawn()
        for server in servers:
            server.wait_healthy()
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: list[ServerProcess]) -> None:
    """SIGTERM to every server at once, then wait for each: they drain side by side."""
    for server in servers:
        server.send_signal()
    for server in servers:
        server.wait_stopped()


def add_staff_account(
    server: ServerProcess, business_id: str, email: str, name: str, password: str
) -> subprocess.Popen[bytes]:
    """Start ``chatserver staff add --password-stdin``, as an operator creates a staff account;
    the caller waits for it (``.wait()``) when it needs the account."""
    env = {
        **os.environ,
        "DATABASE_URL": server.database_url,
        "DATABASE_SCHEMA": server.schema,
        "JWT_SECRET": SECRET,
    }
    command = [sys.executable, "-m", "chatserver", "staff", "add", "--business", business_id, "--email", email]
    proc = subprocess.Popen(
        [*command, "--name", name, "--password-stdin"], env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    assert proc.stdin is not None
    proc.stdin.write(f"{password}\n".encode())
    proc.stdin.close()
    return proc


def staff_token_for(business_id: str, name: str = "Alice") -> str:
    return make_token("staff", name, business_id)


def rest(base_url: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """One REST call, as another tool would make it (checks what the browser did, or sets up)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base_url}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
