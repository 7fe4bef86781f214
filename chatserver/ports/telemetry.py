"""What the domain reports for monitoring; ``chatserver/adapters/metrics.py`` turns it into Prometheus
metrics. The domain depends only on this small interface, and a no-op stands in by default."""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def message_stored(self) -> None:
        """A new message was persisted (retries of a stored ``clientMsgId`` are not counted)."""
        ...

    def delivered(self, frames: int) -> None:
        """``frames`` room messages were pushed to local connections."""
        ...

    def fanout_latency(self, seconds: float) -> None:
        """A room message arrived through the broker ``seconds`` after it was published."""
        ...

    def error(self, code: str) -> None:
        """A request failed with this protocol error code."""
        ...


class NoTelemetry:
    def message_stored(self) -> None:
        return None

    def delivered(self, frames: int) -> None:
        return None

    def fanout_latency(self, seconds: float) -> None:
        return None

    def error(self, code: str) -> None:
        return None
