"""What the browser tests share: the server as a subprocess, the browser's path and flags, tokens.

The server runs as ``python -m chatserver serve`` so a test can kill and restart it on the same
port and database. Playwright never downloads a browser: it launches ``/usr/bin/chromium``.
"""

from __future__ import annotations

import asyncio
import http.server
import secrets
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatserver.adapters.sql import migrate
from chatserver.composition import make_store
from chatserver.config import Settings
from chatserver.domain.clock import now_ms
from chatserver.domain.models import NewMessage, NewRoom, SenderType
from tests.conftest import SECRET, make_token
from tests.procs import ServerProcess, chatserver_cmd, start_together
from tests.services import PG_URL, postgres_schema

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


class ChatServer(ServerProcess):
    """``chatserver serve`` on a database the test can also write to directly; ``stop`` then
    ``start`` restarts it on the same port and database."""

    def __init__(self, database_url: str, schema: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.database_url, self.schema = database_url, schema
        settings = {"DATABASE_URL": database_url, "DATABASE_SCHEMA": schema, "JWT_SECRET": SECRET, "LOG_LEVEL": "INFO"}
        super().__init__({**settings, **(env or {})}, log_path=log_path)  # env: REDIS_URL, REDIS_PREFIX, ...

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, database_schema=self.schema, jwt_secret=SECRET)

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

    def create_staff(self, business_id: str, email: str, name: str) -> str:
        """A staff account (no usable password), as ``chatserver staff add`` makes one; its user id."""
        account = self._run(lambda store: store.create_staff(business_id, email, name, "-", now_ms()))
        return str(account.user_id)

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


def start_server(backend: str, tmp_path: Path, schema: str = "") -> ChatServer:
    """Start ``chatserver serve`` on SQLite (a file in ``tmp_path``) or PostgreSQL (``schema``)."""
    if backend == "sqlite":
        server = ChatServer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", "", tmp_path / "server.log")
    else:
        server = ChatServer(PG_URL, schema, tmp_path / "server.log")
        migrate_schema(server)
    server.start()
    return server


def migrate_schema(server: ChatServer) -> None:
    """As an operator runs ``chatserver migrate`` before starting instances on PostgreSQL."""

    async def upgrade(store: Any) -> None:
        await migrate.upgrade(store.engine)

    server._run(upgrade)


def start_instances(schema: str, tmp_path: Path, env: dict[str, str], *names: str) -> list[ChatServer]:
    """Several ``chatserver serve`` processes sharing one PostgreSQL schema (migrated here) and
    ``env`` (Redis); started together, each answering ``/healthz`` on return."""
    servers = [ChatServer(PG_URL, schema, tmp_path / f"{name}.log", env=dict(env)) for name in names]
    migrate_schema(servers[0])
    start_together(*servers)
    return servers


def add_staff_account(
    server: ChatServer, business_id: str, email: str, name: str, password: str
) -> subprocess.Popen[bytes]:
    """Start ``chatserver staff add --password-stdin``, as an operator creates a staff account;
    the caller waits for it (``.wait()``) when it needs the account."""
    command = chatserver_cmd("staff", "add", "--business", business_id, "--email", email, "--name", name)
    proc = subprocess.Popen(
        [*command, "--password-stdin"], env=server.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    assert proc.stdin is not None
    proc.stdin.write(f"{password}\n".encode())
    proc.stdin.close()
    return proc


def staff_token_for(business_id: str, name: str = "Alice") -> str:
    return make_token("staff", name, business_id)
