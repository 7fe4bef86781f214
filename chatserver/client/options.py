"""``ClientOptions``: the client's tuning knobs."""

from __future__ import annotations

from dataclasses import dataclass

from chatserver import __version__


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Tuning; the defaults suit a bot on the public internet."""

    ack_timeout: float = 10.0  # seconds without an ack before the connection is presumed dead
    connect_timeout: float = 10.0
    ping_interval: float | None = 20.0  # seconds between client pings; a silent connection is replaced
    reconnect: bool = True
    backoff_base: float = 0.5  # first reconnect delay, doubling …
    backoff_max: float = 30.0  # … up to this, ±50 % jitter
    max_events: int = 10_000  # events buffered for the application
    max_held: int = 1_000  # out-of-order messages kept per room while it catches up
    page_size: int = 100  # history page used to catch up
    user_agent: str = f"chatserver-client/{__version__}"
