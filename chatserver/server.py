"""Running the server process: listen, serve, and drain on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from tornado.httpserver import HTTPServer

from chatserver.app import build_runtime
from chatserver.config import Settings
from chatserver.http.app import make_app
from chatserver.http.realtime import RealtimeHandler
from chatserver.protocol import CloseCode

log = logging.getLogger("chatserver")

# pending TCP connections the kernel queues before accept (tornado's default is 128): a
# reconnect storm after a deploy or network blip fills a short queue and costs clients SYN retries
LISTEN_BACKLOG = 1024


def http_server_options(settings: Settings) -> dict[str, Any]:
    """Proxy headers decide the client address that per-address limits count, so they are
    believed only when the operator says a proxy in front sets them."""
    return {"xheaders": settings.trust_proxy_headers, "max_body_size": 1024 * 1024}


async def serve(settings: Settings) -> int:
    if settings.uses_dev_secret:
        log.warning("JWT_SECRET is not set: using the insecure development secret; set it in production")
    runtime = await build_runtime(settings)
    connections: set[RealtimeHandler] = set()
    app = make_app(runtime, connections=connections)
    server = HTTPServer(app, **http_server_options(settings))
    server.listen(settings.port, settings.host or None, backlog=LISTEN_BACKLOG)
    log.info("chatserver listening on %s:%d", settings.host or "*", settings.port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    log.info("draining: closing %d connections with 1001", len(connections))
    server.stop()
    for handler in list(connections):
        handler.close(CloseCode.GOING_AWAY, "server shutting down")
    await asyncio.sleep(0.2)  # let in-flight handlers finish their writes
    await server.close_all_connections()
    await runtime.close()
    log.info("stopped")
    return 0
