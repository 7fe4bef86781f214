"""Latency histograms that merge across processes, and the saturation rule of the rate sweep."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

RESOLUTION = 100  # buckets per factor e: about 1 % relative error


class Histogram:
    """Log-bucketed microsecond latencies: cheap to add to, exact count and max, ~1 % percentiles."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.count = 0
        self.max_us = 0

    def add(self, us: int) -> None:
        bucket = int(math.log(us) * RESOLUTION) if us > 1 else 0
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.count += 1
        if us > self.max_us:
            self.max_us = us

    def to_json(self) -> dict[str, Any]:
        return {"counts": {str(k): v for k, v in self.counts.items()}, "count": self.count, "max_us": self.max_us}

    @classmethod
    def merged(cls, parts: Iterable[Mapping[str, Any]]) -> Histogram:
        total = cls()
        for part in parts:
            for key, n in part["counts"].items():
                total.counts[int(key)] = total.counts.get(int(key), 0) + n
            total.count += part["count"]
            total.max_us = max(total.max_us, part["max_us"])
        return total

    def percentile(self, p: float) -> float:
        """Milliseconds below which ``p`` percent of the samples fall (NaN when empty)."""
        if not self.count:
            return math.nan
        rank = math.ceil(self.count * p / 100)
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                upper = math.exp((bucket + 1) / RESOLUTION) if bucket else 1.0
                return min(upper, self.max_us) / 1000
        return self.max_us / 1000

    def summary(self) -> dict[str, float]:
        return {
            "p50_ms": round(self.percentile(50), 3),
            "p95_ms": round(self.percentile(95), 3),
            "p99_ms": round(self.percentile(99), 3),
            "max_ms": round(self.max_us / 1000, 3),
        }


KEEP_UP_RATIO = 0.95  # a step keeps up when it delivers this share of what was offered ...
KEEP_UP_P99_MS = 1000.0  # ... with a p99 latency under this, and nothing lost


def keeps_up(step: Mapping[str, Any]) -> bool:
    """Whether the server absorbed the offered load in this step (the saturation rule).

    Deliveries are counted in whole messages' worth (``per_message`` of them in fan-out), so a
    window holding few messages is allowed one message of slack."""
    expected = step["expected_per_s"]
    p99 = step["latency"]["p99_ms"]
    slack = step.get("per_message", 1) / step.get("window_s", math.inf)
    return (
        expected > 0
        and step["delivered_per_s"] >= KEEP_UP_RATIO * expected - slack
        and step["undelivered"] == 0
        and not math.isnan(p99)
        and p99 <= KEEP_UP_P99_MS
    )
