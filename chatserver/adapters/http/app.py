"""The tornado Application: routes and transport settings."""

from __future__ import annotations

import asyncio
import logging

import tornado.web

from chatserver.adapters.http.canned import CannedHandler, CannedListHandler
from chatserver.adapters.http.dashboard import (
    AnalyticsHandler,
    ConvertGuestHandler,
    FaqHandler,
    FaqsHandler,
    LoginHandler,
    RoomHandler,
    SettingsHandler,
)
from chatserver.adapters.http.openapi import OpenApiHandler
from chatserver.adapters.http.ops import HealthzHandler, MetricsHandler, Readiness, ReadyzHandler
from chatserver.adapters.http.pinger import Pinger
from chatserver.adapters.http.privacy import (
    CustomerEraseHandler,
    CustomerExportHandler,
    GuestEraseHandler,
    GuestExportHandler,
)
from chatserver.adapters.http.realtime import RealtimeConnection, RealtimeOptions
from chatserver.adapters.http.realtime_handler import RealtimeHandler
from chatserver.adapters.http.redaction import redact_uri
from chatserver.adapters.http.rest import NotFoundHandler, RoomMessagesHandler, RoomsHandler
from chatserver.adapters.http.static import static_routes
from chatserver.adapters.http.webhooks import (
    WebhookDeliveriesHandler,
    WebhookHandler,
    WebhookReplayHandler,
    WebhooksHandler,
)
from chatserver.adapters.metrics import Metrics
from chatserver.config import Settings
from chatserver.realtime.gateway import Gateway
from chatserver.realtime.limits import ConnectionsPerAddress
from chatserver.usecases.admin import BusinessAdmin
from chatserver.usecases.analytics import Reports
from chatserver.usecases.canned import CannedResponses
from chatserver.usecases.contacts import Contacts
from chatserver.usecases.conversations import ChatService
from chatserver.usecases.privacy import Privacy
from chatserver.usecases.staffauth import StaffAuth
from chatserver.usecases.tokens import TokenVerifier
from chatserver.usecases.workflow import Workflow
from chatserver.webhooks.service import WebhookService

access_log = logging.getLogger("chatserver.access")


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


def make_app(
    *,
    settings: Settings,
    service: ChatService,
    gateway: Gateway,
    verifier: TokenVerifier,
    workflow: Workflow,
    contacts: Contacts,
    staff_auth: StaffAuth,
    reports: Reports,
    admin: BusinessAdmin,
    canned: CannedResponses,
    webhooks: WebhookService,
    privacy: Privacy,
    metrics: Metrics,
    instance_id: str,
    readiness: Readiness,
    connections: set[RealtimeConnection] | None = None,
) -> tornado.web.Application:
    """The routes, each handler given what it uses. ``readiness``: the checks ``/readyz``
    reports; ``connections``: the open WebSockets (the server closes them when it drains)."""
    api = {"verifier": verifier, "service": service}
    admin_api = {"verifier": verifier, "admin": admin}
    canned_api = {"verifier": verifier, "canned": canned}
    hooks = {"verifier": verifier, "webhooks": webhooks}
    subjects = {"verifier": verifier, "privacy": privacy}
    tracker = connections if connections is not None else set()
    realtime = RealtimeOptions(
        gateway=gateway,
        tracker=tracker,
        addresses=ConnectionsPerAddress(settings.max_connections_per_ip),
        openings=asyncio.Semaphore(settings.max_opening_connections),
        allowed_origins=settings.allowed_origins,
        max_send_queue_bytes=settings.max_send_queue_bytes,
        max_message_size=settings.max_frame_bytes,
        metrics=metrics,
        instance_id=instance_id,
        # one keep-alive loop for every connection instead of a task per connection
        pinger=Pinger(settings.ping_interval) if settings.ping_interval else None,
    )
    app = tornado.web.Application(
        [
            (r"/realtime", RealtimeHandler, {"options": realtime}),
            (r"/api/chat/rooms", RoomsHandler, api),
            (r"/api/chat/rooms/([^/]+)/messages", RoomMessagesHandler, api),
            # dashboard API (issue 4)
            (r"/api/auth/login", LoginHandler, {"staff_auth": staff_auth}),
            (r"/api/chat/rooms/([^/]+)", RoomHandler, {**api, "workflow": workflow}),
            (r"/api/chat/rooms/([^/]+)/convert-guest", ConvertGuestHandler, {**api, "contacts": contacts}),
            (r"/api/chat/analytics", AnalyticsHandler, {"verifier": verifier, "reports": reports}),
            (r"/api/businesses/([^/]+)/faqs", FaqsHandler, admin_api),
            (r"/api/businesses/([^/]+)/faqs/([^/]+)", FaqHandler, admin_api),
            (r"/api/businesses/([^/]+)/settings", SettingsHandler, admin_api),
            # conversations (issue 17)
            (r"/api/businesses/([^/]+)/canned-responses", CannedListHandler, canned_api),
            (r"/api/businesses/([^/]+)/canned-responses/([^/]+)", CannedHandler, canned_api),
            # data-subject requests (issue 16)
            (r"/api/businesses/([^/]+)/guests/([^/]+)/export", GuestExportHandler, subjects),
            (r"/api/businesses/([^/]+)/customers/([^/]+)/export", CustomerExportHandler, subjects),
            (r"/api/businesses/([^/]+)/guests/([^/]+)", GuestEraseHandler, subjects),
            (r"/api/businesses/([^/]+)/customers/([^/]+)", CustomerEraseHandler, subjects),
            (r"/api/openapi.json", OpenApiHandler),
            (r"/healthz", HealthzHandler, {"instance_id": instance_id}),
            (r"/readyz", ReadyzHandler, {"instance_id": instance_id, "readiness": readiness}),
            (r"/metrics", MetricsHandler, {"instance_id": instance_id, "metrics": metrics}),
            *static_routes(settings.demo_business_id),
            (r"/api/webhooks", WebhooksHandler, hooks),
            (r"/api/webhooks/([^/]+)", WebhookHandler, hooks),
            (r"/api/webhooks/([^/]+)/deliveries", WebhookDeliveriesHandler, hooks),
            (r"/api/webhooks/([^/]+)/replay", WebhookReplayHandler, hooks),
            (r"/api/.*", NotFoundHandler),
        ],
        log_function=log_request,
        compress_response=True,  # gzip: the widget script shrinks to a quarter on every host page
    )
    app.settings["connections"] = tracker
    return app
