"""Operations endpoints: ``/healthz`` (the process serves), ``/readyz`` (database and broker
reachable, not draining) and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from tornado.web import RequestHandler

from chatserver.adapters.metrics import Metrics

INSTANCE_HEADER = "X-Chatserver-Instance"

Readiness = Callable[[], Awaitable[dict[str, str]]]
"""``ok`` or why not, per check (the database, the broker, the server while it drains)."""


class OpsHandler(RequestHandler):
    """Each endpoint is given the instance's name (``instance_id``) and what it reports."""

    instance_id: str

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    def prepare(self) -> None:
        self.set_header(INSTANCE_HEADER, self.instance_id)

    def send_json(self, body: object, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, separators=(",", ":")))


class HealthzHandler(OpsHandler):
    def initialize(self, instance_id: str) -> None:
        self.instance_id = instance_id

    def get(self) -> None:
        self.send_json({"status": "ok", "instance": self.instance_id})


class ReadyzHandler(OpsHandler):
    def initialize(self, instance_id: str, readiness: Readiness) -> None:
        self.instance_id = instance_id
        self.readiness = readiness

    async def get(self) -> None:
        checks = await self.readiness()
        ready = all(value == "ok" for value in checks.values())
        body = {"status": "ready" if ready else "unavailable", "instance": self.instance_id, "checks": checks}
        self.send_json(body, 200 if ready else 503)


class MetricsHandler(OpsHandler):
    def initialize(self, instance_id: str, metrics: Metrics) -> None:
        self.instance_id = instance_id
        self.metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", self.metrics.content_type)
        self.finish(self.metrics.render())
