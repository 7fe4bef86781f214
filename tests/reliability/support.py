"""Helpers for the reliability tests that run ``chatserver serve`` as a real process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import SECRET
from tests.helpers import WsClient

MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc (clock ticks of 1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


class RssSampler:
    """Samples a process's resident memory in the background; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid = pid
        self.every = every
        self.peak = rss_bytes(pid)
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_bytes(self.pid))
            self.samples += 1
            await asyncio.sleep(self.every)

    def __enter__(self) -> RssSampler:
        self._task = asyncio.ensure_future(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.peak = max(self.peak, rss_bytes(self.pid))


async def wait_for_log(path: Path, text: str, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if path.exists() and text in path.read_text():
            return True
        await asyncio.sleep(0.05)
    return False


async def ws(url: str, **query: str) -> WsClient:
    """A connected client that has read its first frame."""
    client = await WsClient.connect(url, **query)
    await client.next(timeout=30)
    return client


def base_env(**extra: str) -> dict[str, str]:
    return {"JWT_SECRET": SECRET, **extra}
