"""Prometheus metrics, one registry per runtime (no global default registry, so several
runtimes can live in one process, as tests build them). ``GET /metrics`` renders it.

The counts taken for every frame and message are plain integers, read by a collector when the
registry is scraped: a prometheus-client ``Counter.inc`` takes a lock and a few calls, and there
are four of them per chat message."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from chatserver.domain.models import Role
from chatserver.protocol import ErrorCode

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Implements the domain's ``Telemetry`` and counts what the transport sees."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge(
            "chatserver_connections", "Open WebSocket connections by kind of user", ["kind"], registry=r
        )
        self.frames_in = 0
        self.frames_out = 0
        self.messages_stored = 0
        self.deliveries = 0
        r.register(_HotCounters(self))
        self.fanout = Histogram(
            "chatserver_fanout_latency_seconds",
            "Time from publishing a stored message to its arrival at an instance through the broker",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.redis_reconnects = Counter(
            "chatserver_redis_reconnects", "Times the Redis listener reconnected and resubscribed", registry=r
        )
        self.errors = Counter("chatserver_errors", "Requests failed, by protocol error code", ["code"], registry=r)
        for role in Role:
            self.connections.labels(role.value)
        for code in ErrorCode:
            self.errors.labels(code.value)

    # Telemetry

    def message_stored(self) -> None:
        self.messages_stored += 1

    def delivered(self, frames: int) -> None:
        self.deliveries += frames

    def fanout_latency(self, seconds: float) -> None:
        self.fanout.observe(max(0.0, seconds))

    def error(self, code: str) -> None:
        self.errors.labels(code).inc()

    # transport and broker

    def connection_opened(self, kind: str) -> None:
        self.connections.labels(kind).inc()

    def connection_closed(self, kind: str) -> None:
        self.connections.labels(kind).dec()

    def frame_in(self) -> None:
        self.frames_in += 1

    def frame_out(self, count: int = 1) -> None:
        self.frames_out += count

    def redis_reconnected(self) -> None:
        self.redis_reconnects.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _HotCounters(Collector):
    """The per-frame counts as Prometheus counters, read at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[CounterMetricFamily]:
        m = self.metrics
        yield CounterMetricFamily("chatserver_frames_in", "WebSocket frames received", value=m.frames_in)
        yield CounterMetricFamily("chatserver_frames_out", "WebSocket frames sent", value=m.frames_out)
        yield CounterMetricFamily("chatserver_messages_stored", "Messages persisted", value=m.messages_stored)
        yield CounterMetricFamily(
            "chatserver_deliveries", "Room messages pushed to local connections", value=m.deliveries
        )
