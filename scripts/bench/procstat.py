"""Per-thread figures of a server process from Linux's /proc (empty elsewhere): wake-ups, and
how long its threads ran and how long they waited for a core (run-queue delay) — on a 2-core
machine shared with the generator, the difference between a slow server and a starved one."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

VOLUNTARY = re.compile(r"^voluntary_ctxt_switches:\s+(\d+)", re.MULTILINE)


def wakeups(pid: int) -> int:
    """Voluntary context switches of all the process's threads: each one a wake-up after waiting
    (a timer, a poll, a lock)."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        with contextlib.suppress(OSError):
            found = VOLUNTARY.search(status.read_text())
            total += int(found[1]) if found else 0
    return total


def schedstat(pid: int) -> dict[str, tuple[int, int]]:
    """Nanoseconds on a core and waiting for one: the main thread (the event loop) and the
    other threads together."""
    out = {"main": (0, 0), "other": (0, 0)}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            ran, waited, _ = (int(x) for x in (task / "schedstat").read_text().split())
            key = "main" if task.name == str(pid) else "other"
            out[key] = (out[key][0] + ran, out[key][1] + waited)
    return out


def threads_usage(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], seconds: float) -> Any:
    """% of the window each thread group ran, and waited runnable for a core."""
    return {
        key: {
            "cpu_pct": round(100 * (after[key][0] - before[key][0]) / 1e9 / seconds, 1),
            "runqueue_wait_pct": round(100 * (after[key][1] - before[key][1]) / 1e9 / seconds, 1),
        }
        for key in after
        if seconds > 0
    }
