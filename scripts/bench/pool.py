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


class WorkerError(RuntimeError):
    """A worker answered a command with an error, died, or did not answer in time."""


class Workers:
    """``n`` loadgen processes; ``ask`` sends one command to each and collects the replies."""

    def __init__(self, n: int, log_path: Path) -> None:
        self._log = log_path.open("ab")
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "scripts.bench.loadgen", str(i)],
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
        total = 0.0
        for ps in self.ps:
            times = ps.cpu_times()
            total += times.user + times.system
        return total

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
