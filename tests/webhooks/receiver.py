"""A real HTTP receiver for webhook tests: an asyncio server on a free loopback port that records
every request and answers from a script (status codes, or a delay longer than the sender waits)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from tests.procs import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    answered: int  # the status we sent back (0: we did not answer in time)

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass(frozen=True)
class Hang:
    """Answer only after ``seconds`` (longer than the sender's timeout)."""

    seconds: float
    then: int = 200


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[Received] = []
        self.script: deque[int | Hang] = deque()
        self.default: int = 200
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def ok(self) -> list[Received]:
        """Requests answered 2xx, in arrival order."""
        return [r for r in self.requests if 200 <= r.answered < 300]

    async def wait_until(self, predicate: Any, timeout: float = 15.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"receiver: condition not met; got {[(r.answered, r.json['type']) for r in self.requests]}"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.5))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while line := (await reader.readline()).decode().strip():
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            action = self.script.popleft() if self.script else self.default
            status = action
            if isinstance(action, Hang):
                self.requests.append(Received(request_line.split(" ")[1], headers, body, 0))
                self._arrived.set()
                await asyncio.sleep(action.seconds)
                return
            assert isinstance(status, int)
            self.requests.append(Received(request_line.split(" ")[1], headers, body, status))
            self._arrived.set()
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
