"""The HTTP server as ``chatserver serve`` builds it, for tests whose subject is its options (proxy
headers, connection limits): a module imports ``http_server`` to use it instead of the plain
tornado server the other tests get."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

from chatserver.adapters.http.listener import GuardedHTTPServer
from chatserver.config import Settings
from chatserver.server import http_server_options


@pytest.fixture
def http_server(
    app: tornado.web.Application, io_loop: IOLoop, http_server_port: tuple[Any, int], settings: Settings
) -> Iterator[HTTPServer]:
    """With ``http_server_options``: proxy-header trust and the header limits follow the settings."""
    server = GuardedHTTPServer(app, **http_server_options(settings))
    server.add_socket(http_server_port[0])
    yield server
    server.stop()
    io_loop.run_sync(server.close_all_connections)
