"""The two wire dialects the load generator speaks, over one WebSocket client (aiohttp).

* ``ours``: protocol.md — one JSON envelope per text frame on ``/realtime``.
* ``sio``: Socket.IO v5 over Engine.IO v4, spoken directly on the ``websocket`` transport
  (no HTTP long-polling first), namespace ``/realtime`` as in the product brief.

Both use the same client library and the same per-frame work, so neither server is favoured by
the generator. The measurement path never decodes JSON: it classifies a frame by its prefix and
reads the send timestamp the sender put in the message content (``~t<monotonic ns>~``).
Full decoding is used only while setting up (handshakes, joins).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

NAMESPACE = "/realtime"
ACK, EVENT, PING, OTHER = "ack", "event", "ping", "other"
MARK = "~t"


class BenchError(RuntimeError):
    """The server refused something during setup (an error ack, a refused handshake)."""


def stamp(pad: int) -> str:
    """Message content carrying its send time; ``pad`` characters make every message one size."""
    return f"{MARK}{time.monotonic_ns()}~ " + "x" * pad


def sent_at(text: str) -> int:
    """The send time stamped in a frame's content, or -1 when the frame carries none."""
    i = text.find(MARK)
    if i < 0:
        return -1
    j = text.find("~", i + 2)
    return int(text[i + 2 : j])


@dataclass(frozen=True)
class Ours:
    """protocol.md framing."""

    name: str = "ours"

    def url(self, base: str, token: str | None, session_id: str | None = None) -> str:
        """A token (staff), a returning guest's ``sessionId``, or neither (a new guest)."""
        if token:
            return f"{base}/realtime?token={token}"
        return f"{base}/realtime" + (f"?sessionId={session_id}" if session_id else "")

    def frame(self, event: str, data: dict[str, Any], ack: int | None) -> str:
        body: dict[str, Any] = {"event": event, "data": data}
        if ack is not None:
            body["ack"] = ack
        return json.dumps(body, separators=(",", ":"))

    def kind(self, text: str) -> str:
        if text.startswith('{"event":"ack"'):
            return ACK
        # only message deliveries count: chat:room-updated (staff's room list) carries the
        # message preview, and with it the stamp
        return EVENT if text.startswith('{"event":"chat:new-message"') else OTHER

    def ack_id(self, text: str) -> int:
        start = text.index('"ack":', 14) + 6
        end = start
        while text[end].isdigit():
            end += 1
        return int(text[start:end])

    def ack_result(self, text: str) -> dict[str, Any]:
        obj = json.loads(text)
        if "error" in obj:
            raise BenchError(f"error ack: {obj['error']}")
        return dict(obj.get("data") or {})

    def event(self, text: str) -> tuple[str, dict[str, Any]]:
        obj = json.loads(text)
        return obj["event"], obj.get("data") or {}

    async def handshake(self, ws: aiohttp.ClientWebSocketResponse, token: str | None) -> dict[str, Any]:
        msg = await ws.receive()
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise BenchError(f"handshake: got {msg.type!r}")
        event, data = self.event(msg.data)
        if event not in {"guest:registered", "user:authenticated"}:
            raise BenchError(f"handshake: first frame was {msg.data[:200]}")
        return data


@dataclass(frozen=True)
class SocketIO:
    """Socket.IO v5 packets in Engine.IO v4 message packets (type ``4``)."""

    name: str = "sio"

    def url(self, base: str, token: str | None, session_id: str | None = None) -> str:
        return f"{base}/socket.io/?EIO=4&transport=websocket"  # the reference has no guest sessions

    def frame(self, event: str, data: dict[str, Any], ack: int | None) -> str:
        return f"42{NAMESPACE},{'' if ack is None else ack}" + json.dumps([event, data], separators=(",", ":"))

    def kind(self, text: str) -> str:
        if text.startswith("43"):
            return ACK
        if text.startswith("42"):
            return EVENT if '["chat:new-message"' in text[:40] else OTHER
        return PING if text == "2" else OTHER

    def _body(self, text: str) -> tuple[int | None, str]:
        """Split ``4X/realtime,<id><json>`` into the ack id and the JSON."""
        start = text.index(",") + 1 if text[2:3] == "/" else 2
        end = start
        while text[end].isdigit():
            end += 1
        return (int(text[start:end]) if end > start else None), text[end:]

    def ack_id(self, text: str) -> int:
        ack, _ = self._body(text)
        if ack is None:
            raise BenchError(f"ack without id: {text[:100]}")
        return ack

    def ack_result(self, text: str) -> dict[str, Any]:
        args = json.loads(self._body(text)[1])
        data = args[0] if args else {}
        if isinstance(data, dict) and "error" in data:
            raise BenchError(f"error ack: {data['error']}")
        return dict(data or {})

    def event(self, text: str) -> tuple[str, dict[str, Any]]:
        args = json.loads(self._body(text)[1])
        return args[0], (args[1] if len(args) > 1 else {})

    async def handshake(self, ws: aiohttp.ClientWebSocketResponse, token: str | None) -> dict[str, Any]:
        opened = await ws.receive()
        if opened.type != aiohttp.WSMsgType.TEXT or not opened.data.startswith("0"):
            raise BenchError(f"engine.io open expected, got {opened.data!r}")
        await ws.send_str(f"40{NAMESPACE}," + (json.dumps({"token": token}) if token else ""))
        connected, first = False, None
        while not (connected and first is not None):
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise BenchError(f"handshake: got {msg.type!r}")
            text = msg.data
            if text.startswith(f"40{NAMESPACE},"):
                connected = True
            elif text.startswith("44"):
                raise BenchError(f"connection refused: {text[:200]}")
            elif text == "2":
                await ws.send_str("3")
            elif text.startswith("42"):
                event, data = self.event(text)
                if event in {"guest:registered", "user:authenticated"}:
                    first = data
        return first


DIALECTS: dict[str, Ours | SocketIO] = {"ours": Ours(), "sio": SocketIO()}


class Conn:
    """One client connection. Setup requests wait for their ack (``call``); during measurement
    frames go to the ``on_ack`` / ``on_event`` callbacks undecoded."""

    def __init__(self, dialect: Ours | SocketIO, ws: aiohttp.ClientWebSocketResponse, hello: dict[str, Any]) -> None:
        self.dialect = dialect
        self.ws = ws
        self.hello = hello
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.on_ack: Callable[[str], None] | None = None
        self.on_event: Callable[[str], None] | None = None
        self.closed = asyncio.Event()
        self._next_ack = 1
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        dialect: Ours | SocketIO,
        base: str,
        token: str | None = None,
        session_id: str | None = None,
    ) -> Conn:
        ws = await session.ws_connect(
            dialect.url(base, token, session_id),
            autoping=True,
            heartbeat=None,
            max_msg_size=0,
            compress=0,
        )
        try:
            hello = await asyncio.wait_for(dialect.handshake(ws, token), 30)
        except BaseException:
            await ws.close()
            raise
        return cls(dialect, ws, hello)

    async def _read(self) -> None:
        dialect, pending = self.dialect, self.pending
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                text = msg.data
                kind = dialect.kind(text)
                if kind == ACK:
                    if pending:
                        future = pending.pop(dialect.ack_id(text), None)
                        if future is not None:
                            if not future.done():
                                try:
                                    future.set_result(dialect.ack_result(text))
                                except BenchError as exc:
                                    future.set_exception(exc)
                            continue
                    if self.on_ack is not None:
                        self.on_ack(text)
                elif kind == EVENT:
                    if self.on_event is not None:
                        self.on_event(text)
                elif kind == PING:
                    await self.ws.send_str("3")
        finally:
            self.closed.set()
            for future in pending.values():
                if not future.done():
                    future.set_exception(BenchError("connection closed"))

    def next_ack(self) -> int:
        self._next_ack += 1
        return self._next_ack

    async def call(self, event: str, data: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        ack = self.next_ack()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ack] = future
        await self.ws.send_str(self.dialect.frame(event, data, ack))
        return await asyncio.wait_for(future, timeout)

    async def send(self, event: str, data: dict[str, Any]) -> None:
        """Fire a request with an ack number; its ack goes to ``on_ack``."""
        await self.ws.send_str(self.dialect.frame(event, data, self.next_ack()))

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
