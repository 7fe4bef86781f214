"""The tornado Application: routes and transport settings."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qsl, urlencode

import tornado.web

from chatserver.app import Runtime
from chatserver.chat.limits import ConnectionsPerAddress
from chatserver.http.dashboard import (
    AnalyticsHandler,
    ConvertGuestHandler,
    FaqHandler,
    FaqsHandler,
    LoginHandler,
    RoomHandler,
    SettingsHandler,
)
from chatserver.http.openapi import OpenApiHandler
from chatserver.http.ops import HealthzHandler, MetricsHandler, ReadyzHandler
from chatserver.http.realtime import RealtimeHandler
from chatserver.http.rest import NotFoundHandler, RoomMessagesHandler, RoomsHandler
from chatserver.http.static import static_routes
from chatserver.http.webhooks import (
    WebhookDeliveriesHandler,
    WebhookHandler,
    WebhookReplayHandler,
    WebhooksHandler,
)

access_log = logging.getLogger("chatserver.access")

SECRET_PARAMS = {"sessionid", "token", "access_token"}


def redact_uri(path: str, query: str) -> str:
    """The request line for logs, with credentials in the query string replaced."""
    if not query:
        return path
    pairs = [
        (k, "[redacted]" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs)}"


def log_request(handler: tornado.web.RequestHandler) -> None:
    request = handler.request
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    access_log.log(
        level,
        "%d %s %s %.1fms",
        status,
        request.method,
        redact_uri(request.path, request.query),
        1000.0 * request.request_time(),
    )


def make_app(runtime: Runtime, *, connections: set[RealtimeHandler] | None = None) -> tornado.web.Application:
    settings = runtime.settings
    api = {"service": runtime.service, "verifier": runtime.verifier}
    dashboard = {**api, "runtime": runtime}
    hooks = {**api, "webhooks": runtime.webhooks}
    tracker = connections if connections is not None else set()
    realtime = {
        "gateway": runtime.gateway,
        "settings": settings,
        "tracker": tracker,
        "runtime": runtime,
        "addresses": ConnectionsPerAddress(settings.max_connections_per_ip),
        "openings": asyncio.Semaphore(settings.max_opening_connections),
    }
    app = tornado.web.Application(
        [
            (r"/realtime", RealtimeHandler, realtime),
            (r"/api/chat/rooms", RoomsHandler, api),
            (r"/api/chat/rooms/([^/]+)/messages", RoomMessagesHandler, api),
            # dashboard API (issue 4)
            (r"/api/auth/login", LoginHandler, dashboard),
            (r"/api/chat/rooms/([^/]+)", RoomHandler, dashboard),
            (r"/api/chat/rooms/([^/]+)/convert-guest", ConvertGuestHandler, dashboard),
            (r"/api/chat/analytics", AnalyticsHandler, dashboard),
            (r"/api/businesses/([^/]+)/faqs", FaqsHandler, dashboard),
            (r"/api/businesses/([^/]+)/faqs/([^/]+)", FaqHandler, dashboard),
            (r"/api/businesses/([^/]+)/settings", SettingsHandler, dashboard),
            (r"/api/openapi.json", OpenApiHandler),
            (r"/healthz", HealthzHandler, {"runtime": runtime}),
            (r"/readyz", ReadyzHandler, {"runtime": runtime}),
            (r"/metrics", MetricsHandler, {"runtime": runtime}),
            *static_routes(settings.demo_business_id),
            (r"/api/webhooks", WebhooksHandler, hooks),
            (r"/api/webhooks/([^/]+)", WebhookHandler, hooks),
            (r"/api/webhooks/([^/]+)/deliveries", WebhookDeliveriesHandler, hooks),
            (r"/api/webhooks/([^/]+)/replay", WebhookReplayHandler, hooks),
            (r"/api/.*", NotFoundHandler, api),
        ],
        websocket_max_message_size=settings.max_frame_bytes,
        websocket_ping_interval=settings.ping_interval or None,
        websocket_ping_timeout=(settings.ping_interval * 2) or None,
        log_function=log_request,
        compress_response=True,  # gzip: the widget script shrinks to a quarter on every host page
    )
    app.settings["connections"] = tracker
    return app
