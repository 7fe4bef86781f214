"""The load generator's worker processes, driven by JSON lines over their stdin and stdout."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from tests.procs import ROOT

REPLY_TIMEOUT_S = 600.0
# a measurement is void when one generator process used more than this share of a core in its
# window: the generator, not the server, may then have set the pace (and the latencies)
VOID_GEN_PROCESS_PCT = 70.0


class WorkerError(RuntimeError):
    """A worker answered a command with an error, died, or did not answer in time."""


class Workers:
    """``n`` loadgen processes; ``ask`` sends one command to each and collects the replies.
    ``uvloop``: they run on uvloop (when installed) instead of asyncio's loop."""

    def __init__(self, n: int, log_path: Path, first_id: int = 0, *, uvloop: bool = False) -> None:
        self._log = log_path.open("ab")
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "scripts.bench.loadgen", str(first_id + i), *(["--uvloop"] if uvloop else [])],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                cwd=ROOT,
                text=True,
            )
            for i in range(n)
        ]
        self.ps = [psutil.Process(p.pid) for p in self.procs]

    def __len__(self) -> int:
        return len(self.procs)

    def send(self, commands: list[dict[str, Any] | None]) -> None:
        """Send ``commands[i]`` to worker ``i`` (``None``: nothing to that one)."""
        for proc, cmd in zip(self.procs, commands, strict=True):
            if cmd is not None:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps(cmd) + "\n")
                proc.stdin.flush()

    def receive(self, commands: list[dict[str, Any] | None], timeout: float = REPLY_TIMEOUT_S) -> list[dict[str, Any]]:
        """The answers to what ``send`` sent (``{}`` where nothing was sent)."""
        deadline = time.monotonic() + timeout
        replies: list[dict[str, Any]] = []
        for proc, cmd in zip(self.procs, commands, strict=True):
            if cmd is None:
                replies.append({})
                continue
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            line = proc.stdout.readline() if ready else ""
            if not line:
                raise WorkerError(f"worker {proc.pid} gave no answer to {cmd['cmd']} (exit {proc.poll()})")
            reply = json.loads(line)
            if not reply.get("ok"):
                raise WorkerError(f"worker {proc.pid}: {cmd['cmd']} failed: {reply.get('error')}")
            replies.append(reply)
        return replies

    def ask(self, commands: list[dict[str, Any] | None], timeout: float = REPLY_TIMEOUT_S) -> list[dict[str, Any]]:
        """Send to all at once (they work in parallel), then collect every answer."""
        self.send(commands)
        return self.receive(commands, timeout)

    def all(self, cmd: dict[str, Any], timeout: float = REPLY_TIMEOUT_S) -> list[dict[str, Any]]:
        return self.ask([cmd] * len(self.procs), timeout)

    def cpu_seconds(self) -> float:
        return sum(self.cpu_per_process())

    def cpu_per_process(self) -> list[float]:
        """CPU seconds (user + system) of each worker process."""
        return [float(t.user + t.system) for t in (ps.cpu_times() for ps in self.ps)]

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None and proc.stdin is not None:
                try:
                    proc.stdin.write(json.dumps({"cmd": "exit"}) + "\n")
                    proc.stdin.close()
                except OSError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self._log.close()


def generator_usage(
    before: list[float], after: list[float], seconds: float, units: float, unit: str = "msg"
) -> dict[str, Any]:
    """The generator's CPU over a measured window, from ``cpu_per_process`` before and after:
    all its processes together (% of one core, and µs per ``unit`` when ``units`` counted), the
    busiest process, and ``void`` when that one was near a core's worth (``VOID_GEN_PROCESS_PCT``)."""
    per = [100 * (b - a) / seconds for a, b in zip(before, after, strict=True)] if seconds > 0 else []
    busiest = max(per, default=0.0)
    total_s = sum(after) - sum(before)
    return {
        "gen_cpu_pct": round(sum(per), 1),
        f"gen_cpu_us_per_{unit}": round(1e6 * total_s / units, 1) if units else None,
        "gen_max_process_cpu_pct": round(busiest, 1),
        "void": busiest > VOID_GEN_PROCESS_PCT,
    }
