"""Running the server process: listen, serve, and drain on SIGTERM/SIGINT.

Draining, in order: ``/readyz`` turns 503 and the listening socket closes (no new connections;
a load balancer sends them to other instances); new frames are refused with ``unavailable``
while the requests being answered finish, so every send in flight is stored and acknowledged;
then every WebSocket is closed with 1001 (clients reconnect elsewhere and resume); the broker,
presence and database are released; the process exits 0. Every wait is bounded by
``DRAIN_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import gc
import logging
import resource
import signal
import socket
from typing import Any

from tornado.netutil import bind_sockets
from tornado.web import Application

from chatserver.adapters.http.app import make_app
from chatserver.adapters.http.disconnects import close_erased
from chatserver.adapters.http.listener import GuardedHTTPServer
from chatserver.adapters.http.realtime import RealtimeConnection, close_revoked
from chatserver.composition import Runtime, build_runtime
from chatserver.config import Settings
from chatserver.devsecret import with_local_secret
from chatserver.protocol import CloseCode

log = logging.getLogger("chatserver")

# pending TCP connections the kernel queues before accept (tornado's default is 128): a
# reconnect storm after a deploy or network blip fills a short queue and costs clients SYN retries
LISTEN_BACKLOG = 1024


def http_server_options(settings: Settings) -> dict[str, Any]:
    """Proxy headers decide the client address that per-address limits count, so they are
    believed only when the operator says a proxy in front sets them."""
    return {
        "xheaders": settings.trust_proxy_headers,
        "max_body_size": 1024 * 1024,
        "header_timeout": settings.http_header_timeout,
        # behind a proxy every connection comes from its address: the cap would refuse everyone
        "max_half_open": 0 if settings.trust_proxy_headers else settings.max_half_open_per_ip,
    }


def raise_file_limit() -> tuple[int, int]:
    """The soft limit on open files up to the hard one: every connection is a file, and the
    usual soft default (1,024) is reached by a few hundred slow clients. Returns (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft, soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        return soft, soft
    return soft, wanted


GC_GEN0_THRESHOLD = 20_000  # CPython's default is 700


def tune_gc() -> None:
    """Shorter, rarer garbage-collector pauses once the server is up.

    What exists at startup (modules, the application) lives as long as the process: frozen, full
    collections no longer walk it. A higher first-generation threshold makes collections of
    young objects (each message allocates a few hundred) rarer. Under the benchmark's load this
    took the p99 latency at 1,000 msg/s from 25–140 ms (full collections of 50–100 ms) to
    17–33 ms (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)


def web_app(runtime: Runtime, *, connections: set[RealtimeConnection] | None = None) -> Application:
    """The HTTP and WebSocket routes over the parts of ``runtime``; the open WebSockets of a
    staff account revoked anywhere, or of a visitor erased anywhere, are closed here when this
    instance learns of it."""
    tracker: set[RealtimeConnection] = connections if connections is not None else set()
    runtime.token_versions.on_revoked(functools.partial(close_revoked, tracker))
    runtime.disconnects.on_disconnect(functools.partial(close_erased, tracker))
    return make_app(
        settings=runtime.settings,
        service=runtime.service,
        gateway=runtime.gateway,
        verifier=runtime.verifier,
        workflow=runtime.workflow,
        contacts=runtime.contacts,
        staff_auth=runtime.staff_auth,
        reports=runtime.reports,
        admin=runtime.admin,
        canned=runtime.canned,
        webhooks=runtime.webhooks,
        privacy=runtime.privacy,
        metrics=runtime.metrics,
        instance_id=runtime.instance_id,
        readiness=runtime.readiness,
        connections=tracker,
    )


class StartupError(Exception):
    """The server cannot start; the message says what to change."""


def listen_sockets(settings: Settings) -> list[socket.socket]:
    """Bound before anything else starts, so a taken port fails at once and says which."""
    try:
        return bind_sockets(settings.port, settings.host or None, backlog=LISTEN_BACKLOG)
    except OSError as exc:
        where = f"{settings.host or '*'}:{settings.port}"
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"cannot listen on {where}: the address is already in use (another server?); "
                "choose another port with PORT or --port"
            ) from None
        raise StartupError(f"cannot listen on {where}: {exc.strerror or exc}") from None


def _announce_secret(settings: Settings) -> Settings:
    settings, secret_file = with_local_secret(settings)
    if secret_file is not None:
        log.info("JWT_SECRET is not set: tokens are signed with the secret kept in %s", secret_file)
    return settings


def _welcome(settings: Settings, sockets: list[socket.socket], instance_id: str) -> None:
    port = sockets[0].getsockname()[1]
    shown = settings.host if settings.host not in ("", "0.0.0.0", "::") else "localhost"  # noqa: S104
    base = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"
    log.info("chatserver %s listening on %s:%d", instance_id, settings.host or "*", port)
    log.info("widget demo page: %s/demo   staff dashboard: %s/dashboard/", base, base)
    log.info('first business: .venv/bin/chatserver business add "Acme"   (then open %s/demo?businessId=<id>)', base)


async def serve(settings: Settings) -> int:
    settings = _announce_secret(settings)  # a missing key stops the start before the port is taken
    sockets = listen_sockets(settings)
    try:
        runtime = await build_runtime(settings)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    connections: set[RealtimeConnection] = set()
    app = web_app(runtime, connections=connections)
    before, after = raise_file_limit()
    if after != before:
        log.info("open files limit raised from %d to %d", before, after)
    server = GuardedHTTPServer(app, **http_server_options(settings))
    server.add_sockets(sockets)
    tune_gc()
    _welcome(settings, sockets, runtime.instance_id)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    timeout = float(settings.drain_timeout)
    log.info("draining: %d connections", len(connections))
    runtime.draining = True
    server.stop()
    if not await runtime.gateway.drain(timeout):
        log.warning("draining: requests still running after %.0fs; closing anyway", timeout)
    for handler in list(connections):
        handler.close(CloseCode.GOING_AWAY, "server shutting down")
    await _until_closed(connections, timeout)
    try:
        await asyncio.wait_for(server.close_all_connections(), timeout)
    except TimeoutError:
        log.warning("draining: HTTP connections still open after %.0fs", timeout)
    await runtime.close()
    log.info("stopped")
    return 0


async def _until_closed(connections: set[RealtimeConnection], within_s: float) -> None:
    """Wait for clients to answer the close handshake (each one leaves the set in on_close)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while connections and loop.time() < deadline:  # noqa: ASYNC110 - tornado's close has no awaitable
        await asyncio.sleep(0.02)
    if connections:
        log.warning("draining: %d connections did not finish closing", len(connections))
