"""Sizes and durations of one benchmark run: the runner's command line as one value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Config:
    """Sizes and durations of one run (the runner's command line)."""

    duration: float = 6.0  # seconds per step, warm-up included
    warmup: float = 1.0
    drain: float = 3.0  # extra seconds a step waits for late deliveries
    workers: int = 2
    pairs: int = 100
    start_rate: float = 25.0
    factor: float = 2.0
    max_rate: float = 25_600.0
    fanout_members: int = 500
    fanout_start_rate: float = 5.0
    connections: int = 10_000
    connect_concurrency: int = 100
    connect_timeout: float = 120.0  # seconds the generator may spend opening connections
    pad: int = 64  # characters of filler in each message
    profile: bool = True
    # idle: this many businesses, each made active by one guest's message, then no traffic
    idle_businesses: int = 5_000
    idle_seconds: float = 30.0  # the measured window without traffic
    # storm: guests that registered, joined and sent once, then all reconnect with their sessionId
    storm_guests: int = 10_000
    storm_businesses: int = 100  # the storm guests' rooms are spread over this many businesses
    storm_concurrency: int = 100  # connections opening at once, all generator processes together
    storm_timeout: float = 120.0  # seconds the storm (and its preparation) may take
    storm_chat_rate: float = 20.0  # msg/s each way, both chatting pairs together, during the storm
    storm_profile: bool = False  # py-spy on the server during the storm (takes CPU from it)
    # dashboard: one business, staff connections that only listen (their room lists), guest
    # rooms sending round-robin; then the extreme: many more staff at a lower rate
    dashboard_staff: int = 50
    dashboard_rooms: int = 500
    dashboard_rate: float = 1_000.0  # msg/s, all guests together
    dashboard_staff_extreme: int = 500  # 0: no extreme variant
    dashboard_extreme_rate: float = 200.0
    dashboard_chat_rate: float = 2.0  # msg/s a guest sends to the agent (a staff member in its room)
    out: Path = Path("bench-results")
