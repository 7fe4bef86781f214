"""Operations endpoints: ``/healthz`` (the process serves), ``/readyz`` (database and broker
reachable, not draining) and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import json

from tornado.web import RequestHandler

from chatserver.app import Runtime

INSTANCE_HEADER = "X-Chatserver-Instance"


class OpsHandler(RequestHandler):
    def initialize(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    def prepare(self) -> None:
        self.set_header(INSTANCE_HEADER, self.runtime.instance_id)

    def send_json(self, body: object, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, separators=(",", ":")))


class HealthzHandler(OpsHandler):
    def get(self) -> None:
        self.send_json({"status": "ok", "instance": self.runtime.instance_id})


class ReadyzHandler(OpsHandler):
    async def get(self) -> None:
        checks = await self.runtime.readiness()
        if self.runtime.draining:
            checks["server"] = "draining"
        ready = all(value == "ok" for value in checks.values())
        body = {"status": "ready" if ready else "unavailable", "instance": self.runtime.instance_id, "checks": checks}
        self.send_json(body, 200 if ready else 503)


class MetricsHandler(OpsHandler):
    def get(self) -> None:
        self.set_header("Content-Type", self.runtime.metrics.content_type)
        self.finish(self.runtime.metrics.render())
