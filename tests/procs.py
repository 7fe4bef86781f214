"""Real ``chatserver`` processes for tests and the benchmark: CLI commands and ``serve``.

Why one module: the server process used to be started, health-checked and stopped by five
wrappers (CLI tests, webhooks, browser, cluster, benchmark), each with its own timeouts and
failure messages. ``ServerProcess`` is the only one; the async flavours (``astart``, ``astop``,
``await_ready``, ``arun_cli``) run the same blocking steps on a worker thread so an event loop
keeps serving while it waits. Standard library only (no pytest, no tornado): ``scripts/bench``,
which is installed without the test extras, imports it too.

Every process is started here and stopped by its own pid (SIGTERM, then SIGKILL); every wait
is bounded.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tests.rest import on_a_thread, rest

ROOT = Path(__file__).resolve().parents[1]
START_WITHIN_S = 30.0
STOP_WITHIN_S = 15.0


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chatserver_cmd(*args: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "chatserver", *args]


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``chatserver ARGS`` with ``env`` over this process's environment. Standard input is a pipe
    (``stdin``, empty by default), never the terminal of the test run."""
    return subprocess.run(
        chatserver_cmd(*args),
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


arun_cli = on_a_thread(run_cli)  # ``run_cli`` for async tests: the loop keeps serving while it runs


class ServerProcess:
    """``chatserver serve`` (or another ``command``) on 127.0.0.1:<port>.

    Output goes to ``log_path`` (appended: a restart keeps the earlier lines) or, without one,
    to a pipe drained into memory by a thread (a full pipe would block the server); ``output()``
    and ``log_tail()`` read either. ``python`` and ``cwd`` run another interpreter (an installed
    wheel in its own venv). ``env`` goes over this process's environment; ``LOG_LEVEL`` defaults
    to WARNING, and ``PORT``/``HOST`` are always this object's. It is ready when ``ready_path``
    answers 200 (``/readyz`` also waits for the database and the broker). ``start`` can be called
    again after ``stop``: same port, same database.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        log_path: Path | None = None,
        *,
        name: str = "chatserver",
        ready_path: str = "/healthz",
        command: Sequence[str] | None = None,
        python: str = sys.executable,
        cwd: Path = ROOT,
    ) -> None:
        self.name, self.ready_path = name, ready_path
        self.port = port or free_port()
        self.log_path = log_path
        self.python, self.cwd = python, cwd
        self.command = list(command) if command is not None else chatserver_cmd("serve", python=python)
        self.env = {**os.environ, "LOG_LEVEL": "WARNING", **(env or {}), "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.proc: subprocess.Popen[bytes] | None = None
        self._captured = bytearray()
        self._drain: threading.Thread | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/realtime"

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} was never started"
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # start

    def spawn(self) -> ServerProcess:
        """Start the process without waiting for it (``start_together`` overlaps start-ups)."""
        assert not self.running(), f"{self.name} is already running"
        if self.log_path is None:
            self.proc = subprocess.Popen(
                self.command, env=self.env, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            self._drain = threading.Thread(target=self._keep_output, args=(self.proc.stdout,), daemon=True)
            self._drain.start()
        else:
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdout=log, stderr=log)
        return self

    def _keep_output(self, pipe: IO[bytes]) -> None:
        with pipe:
            for chunk in iter(lambda: os.read(pipe.fileno(), 65536), b""):
                self._captured.extend(chunk)

    def probe(self, path: str | None = None) -> tuple[int, Any]:
        """One GET of ``path`` (``ready_path``): (status, JSON body). Raises ``OSError`` while
        nothing answers."""
        return rest(self.http_url, "GET", path or self.ready_path, timeout=5)

    def wait_ready(
        self, timeout: float = START_WITHIN_S, *, path: str | None = None, expect: int = 200
    ) -> dict[str, Any]:
        """Until ``path`` (``ready_path``) answers ``expect`` (``/readyz`` 503: it knows a
        dependency is down); returns that body. Raises if the process exits first or the time
        runs out. Works on a server this object did not start, too (by its port)."""
        path = path or self.ready_path
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, body = self.probe(path)
                if status == expect:
                    return body if isinstance(body, dict) else {}
            except (OSError, ValueError):  # not listening yet, or not JSON (a proxy in front)
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} never answered {path} with {expect}:\n{self.log_tail()}")
            time.sleep(0.05)

    def start(self, timeout: float = START_WITHIN_S) -> ServerProcess:
        """Spawn and wait until it is ready; a server that never is gets stopped."""
        self.spawn()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    async def astart(self, timeout: float = START_WITHIN_S) -> ServerProcess:
        """``start`` from an async test: the event loop keeps running while it waits."""
        return await asyncio.to_thread(self.start, timeout)

    async def await_ready(
        self, timeout: float = START_WITHIN_S, *, path: str | None = None, expect: int = 200
    ) -> dict[str, Any]:
        """``wait_ready`` from an async test."""
        return await asyncio.to_thread(self.wait_ready, timeout, path=path, expect=expect)

    # stop

    def send_signal(self, sig: int = signal.SIGTERM) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.send_signal(sig)

    def wait_stopped(self, timeout: float = STOP_WITHIN_S) -> int | None:
        """Wait for the exit; SIGKILL if it takes longer than ``timeout``. The exit code, or
        ``None`` if it was never started."""
        if self.proc is None:
            return None
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
        if self._drain is not None:
            self._drain.join(5)
        return self.proc.returncode

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_WITHIN_S) -> int | None:
        """``sig`` (SIGTERM drains; SIGKILL is a crash), then ``wait_stopped``."""
        self.send_signal(sig)
        return self.wait_stopped(timeout)

    def kill(self) -> int | None:
        """SIGKILL: no draining, nothing flushed — a crash."""
        return self.stop(signal.SIGKILL)

    async def astop(self, sig: int = signal.SIGTERM, timeout: float = STOP_WITHIN_S) -> int | None:
        """``stop`` from an async test: clients on the loop see the drain while it waits."""
        return await asyncio.to_thread(self.stop, sig, timeout)

    def __enter__(self) -> ServerProcess:
        return self if self.running() else self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # output

    def output(self) -> str:
        """Everything the process wrote (stdout and stderr together)."""
        if self.log_path is not None:
            return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return bytes(self._captured).decode(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


def start_together(*servers: ServerProcess, timeout: float = START_WITHIN_S) -> tuple[ServerProcess, ...]:
    """Start several servers in parallel (interpreter start-up dominates) and wait for all; if one
    fails, all are stopped."""
    try:
        for server in servers:
            server.spawn()
        for server in servers:
            server.wait_ready(timeout)
    except BaseException:
        stop_together(*servers)
        raise
    return servers


astart_together = on_a_thread(start_together)  # ``start_together`` from an async test


def stop_together(*servers: ServerProcess, sig: int = signal.SIGTERM) -> None:
    """``sig`` to every server at once, then wait for each: they drain side by side."""
    for server in servers:
        server.send_signal(sig)
    for server in servers:
        server.wait_stopped()


def wscat_path() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "wscat"
    return str(local) if local.exists() else shutil.which("wscat")
