"""Server subprocesses for tests that need a real process (CLI, wscat, restarts)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]


def chatserver_cmd(*args: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "chatserver", *args]


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Standard input is a pipe (``stdin``, empty by default), never the terminal of the test run."""
    return subprocess.run(
        chatserver_cmd(*args),
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


class ServerProcess:
    """``chatserver serve`` on a free port; stopped by pid (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        env: Mapping[str, str],
        port: int | None = None,
        log_path: Path | None = None,
        *,
        python: str = sys.executable,
        cwd: Path = ROOT,
    ) -> None:
        self.port = port or free_port()
        self.python, self.cwd = python, cwd  # another interpreter: an installed wheel in its own venv
        self.env = {**os.environ, "LOG_LEVEL": "WARNING", **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.proc: subprocess.Popen[str] | None = None
        self.log_path = log_path  # output goes to this file instead of a pipe (chatty or long runs)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/realtime"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ServerProcess:
        out = self.log_path.open("a") if self.log_path is not None else subprocess.PIPE
        try:
            self.proc = subprocess.Popen(
                chatserver_cmd("serve", python=self.python),
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        finally:
            if self.log_path is not None:
                out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("server did not become healthy")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout)

    def output(self) -> str:
        if self.log_path is not None:
            return self.log_path.read_text() if self.log_path.exists() else ""
        if self.proc is None or self.proc.stdout is None or self.proc.poll() is None:
            return ""
        return self.proc.stdout.read()


def wscat_path() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "wscat"
    return str(local) if local.exists() else shutil.which("wscat")
