"""``chatserver`` as real processes for tests: CLI commands and ``serve`` on a free port."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from types import TracebackType

from tests.services import free_port


def run_cli(args: list[str], env: dict[str, str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class ServerProcess:
    """``chatserver serve`` on 127.0.0.1:<free port>, ready when /healthz answers; stopped with
    SIGTERM (or SIGKILL with ``kill()``) by its own pid."""

    def __init__(self, env: dict[str, str], *, port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/realtime"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatserver", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self

    def start(self, timeout: float = 30) -> ServerProcess:
        if self.process is None:
            self.spawn()
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no draining, nothing flushed — a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self if self.process is not None else self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()


def start_together(*servers: ServerProcess) -> tuple[ServerProcess, ...]:
    """Start several servers in parallel (interpreter start-up dominates) and wait for all."""
    for server in servers:
        server.spawn()
    try:
        for server in servers:
            server.start()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


async def arun_cli(args: list[str], env: dict[str, str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``run_cli`` for async tests: the event loop keeps serving while the command runs."""
    import asyncio

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())


async def astart(server: ServerProcess, timeout: float = 30) -> ServerProcess:
    """Start ``server`` from an async test: ready once its port accepts connections."""
    import asyncio

    server.spawn()
    assert server.process is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return server
    server.kill()
    raise RuntimeError("server did not become ready")


async def astop(server: ServerProcess, timeout: float = 10) -> None:
    """SIGTERM and wait without blocking the loop; SIGKILL if it does not stop in time."""
    import asyncio

    process = server.process
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    for _ in range(int(timeout * 10)):
        if process.poll() is not None:
            return
        await asyncio.sleep(0.1)
    server.kill()
