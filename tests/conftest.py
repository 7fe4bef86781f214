"""Fixtures: a real server in-process (pytest-tornasync ``app``/``http_server``) on SQLite and
on PostgreSQL, and real WebSocket clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

from chatserver.adapters.sql import migrate
from chatserver.composition import Runtime, build_runtime, make_store
from chatserver.config import Settings
from chatserver.domain.clock import now_ms
from chatserver.server import web_app
from chatserver.usecases.tokens import issue_token
from tests.helpers import WsClient
from tests.services import PG_URL, postgres_schema

SECRET = "test-secret-0123456789abcdef0123456789"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Tests override settings by redefining this fixture or through ``make_settings``."""
    return {}


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", ""
    else:
        with postgres_schema() as schema:
            yield PG_URL, schema


@pytest.fixture
def settings(database: tuple[str, str], overrides: dict[str, Any]) -> Settings:
    url, schema = database
    base = Settings(database_url=url, database_schema=schema, jwt_secret=SECRET, ping_interval=0)
    return dataclasses.replace(base, **overrides)


@pytest.fixture
def runtime(io_loop: IOLoop, settings: Settings) -> Iterator[Runtime]:
    async def build() -> Runtime:
        store = make_store(settings)
        await migrate.upgrade(store.engine)  # as an operator runs 'chatserver migrate' first
        return await build_runtime(settings, store=store)

    rt: Runtime = io_loop.run_sync(build)
    yield rt
    io_loop.run_sync(rt.close)


@pytest.fixture
def app(runtime: Runtime) -> tornado.web.Application:
    return web_app(runtime)


@pytest.fixture
def http_server(
    app: tornado.web.Application, io_loop: IOLoop, http_server_port: tuple[Any, int]
) -> Iterator[HTTPServer]:
    """Overrides pytest-tornasync's to depend on ``app`` statically, so backend parametrization applies."""
    server = HTTPServer(app)
    server.add_socket(http_server_port[0])
    yield server
    server.stop()
    io_loop.run_sync(server.close_all_connections)


@pytest.fixture
def ws_url(http_server: Any, http_server_port: tuple[Any, int]) -> str:
    return f"ws://127.0.0.1:{http_server_port[1]}/realtime"


@pytest.fixture
def base_url(http_server: Any, http_server_port: tuple[Any, int]) -> str:
    return f"http://127.0.0.1:{http_server_port[1]}"


@pytest.fixture
def connect(ws_url: str, io_loop: IOLoop) -> Iterator[Callable[..., Any]]:
    """``await connect(token=..., sessionId=...)``: a registered client; all closed at teardown."""
    clients: list[WsClient] = []

    async def _connect(*, headers: dict[str, str] | None = None, first: bool = True, **query: str) -> WsClient:
        client = await WsClient.connect(ws_url, headers=headers, **{k: v for k, v in query.items() if v is not None})
        clients.append(client)
        if first:
            await client.next()
        return client

    yield _connect
    for client in clients:
        client.close()


@pytest.fixture
def business(runtime: Runtime, io_loop: IOLoop) -> str:
    return str(io_loop.run_sync(lambda: runtime.store.create_business("Acme", now_ms())).id)


@pytest.fixture
def other_business(runtime: Runtime, io_loop: IOLoop) -> str:
    return str(io_loop.run_sync(lambda: runtime.store.create_business("Globex", now_ms())).id)


def make_token(
    role: str, name: str = "Alice", business_id: str | None = None, sub: str | None = None, **extra: Any
) -> str:
    return issue_token(
        SECRET, sub=sub or f"{role}-{name.lower()}", role=role, name=name, business_id=business_id, extra=extra
    )


@pytest.fixture
def staff_token(business: str) -> str:
    return make_token("staff", "Alice", business)
