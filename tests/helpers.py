"""A small protocol client for tests: real WebSocket, ack pairing, event waiting."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect


class Closed(Exception):
    def __init__(self, code: int | None, reason: str | None) -> None:
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


class WsClient:
    """Keeps every received frame; waiting takes the first matching frame not taken yet,
    so frames that arrive while waiting for something else are never lost."""

    def __init__(self, conn: WebSocketClientConnection) -> None:
        self.conn = conn
        self.frames: list[dict[str, Any]] = []  # every frame received, in order
        self._taken: set[int] = set()
        self._acks = itertools.count(1001)
        self._changed = asyncio.Event()
        self._closed = False
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url: str, *, headers: dict[str, str] | None = None, **query: str) -> WsClient:
        if query:
            url = f"{url}?{urlencode(query)}"
        conn = await websocket_connect(HTTPRequest(url, headers=headers or {}), max_message_size=16 * 1024 * 1024)
        conn.protocol.set_nodelay(True)  # as the server does: no Nagle delay on small frames
        return cls(conn)

    async def _read(self) -> None:
        try:
            while True:
                raw = await self.conn.read_message()
                if raw is None:
                    return
                self.frames.append(json.loads(raw))
                self._changed.set()
        finally:
            self._closed = True
            self._changed.set()

    @property
    def close_code(self) -> int | None:
        return self.conn.close_code

    def send_raw(self, frame: str | bytes) -> None:
        self.conn.write_message(frame, binary=isinstance(frame, bytes))

    def emit(self, event: str, data: Any = None, ack: int | None = None) -> None:
        body: dict[str, Any] = {"event": event, "data": data if data is not None else {}}
        if ack is not None:
            body["ack"] = ack
        self.send_raw(json.dumps(body))

    async def take(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, frame in enumerate(self.frames):
                if index not in self._taken and predicate(frame):
                    self._taken.add(index)
                    return frame
            if self._closed:
                raise Closed(self.conn.close_code, self.conn.close_reason)
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame; received {self.frames[-5:]}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        return await self.take(lambda f: True, timeout)

    async def wait_for(self, event: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The first untaken frame named ``event`` whose data has the ``match`` values."""

        def matches(frame: dict[str, Any]) -> bool:
            data = frame.get("data") or {}
            return frame.get("event") == event and all(data.get(k) == v for k, v in match.items())

        return await self.take(matches, timeout)

    async def request(self, event: str, data: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        """Send with an ack number and return the ack frame (``data`` or ``error``)."""
        ack = next(self._acks)
        self.emit(event, data, ack)
        return await self.take(lambda f: f.get("event") == "ack" and f.get("ack") == ack, timeout)

    async def call(self, event: str, data: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        """Like ``request`` but the ack must succeed; returns its data."""
        frame = await self.request(event, data, timeout)
        assert "error" not in frame, frame
        return dict(frame["data"])

    def events(self, name: str) -> list[dict[str, Any]]:
        return [f["data"] for f in self.frames if f.get("event") == name]

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.conn.close_code

    def close(self) -> None:
        self.conn.close()
        self._reader.cancel()
