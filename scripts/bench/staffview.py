"""A listening staff connection for the ``dashboard`` workload: a minimal RFC 6455 client on a
bare asyncio ``Protocol``, holding the room list a dashboard would draw.

Why not aiohttp's client, as everywhere else: hundreds of staff connections each getting
dozens of small ``chat:room-updated`` frames a second cost aiohttp's per-message machinery
(a reader task woken per frame, a message object, an ``async for`` step) about 20 µs a frame,
which on a 2-core machine takes the server's CPU. Here a frame costs one slice in
``buffer_updated``: no task, no future, no JSON decoding — a room row is recognised by its
prefix, and only its room id and ``lastSeq`` are cut out of the bytes. The views never send
anything but the pongs and the close frame RFC 6455 asks of a client (masked). chatserver
negotiates no compression and sends every frame unfragmented.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from typing import cast
from urllib.parse import urlsplit

UPDATED = b'{"event":"chat:room-updated","data":{"roomId":"'
CREATED = b'{"event":"chat:room-created","data":{"_id":"'
HELLO = b'{"event":"user:authenticated"'
LAST_SEQ = b'"lastSeq":'
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
READ_CHUNK = 65_536


def row_of(payload: bytes) -> tuple[bytes, int, bool] | None:
    """(room id, lastSeq, is an update) of a room-row push, without decoding it; None otherwise."""
    if payload.startswith(UPDATED):
        start, update = len(UPDATED), True
    elif payload.startswith(CREATED):
        start, update = len(CREATED), False
    else:
        return None
    end = payload.index(b'"', start)
    i = payload.index(LAST_SEQ, end) + len(LAST_SEQ)
    return payload[start:end], int(payload[i : payload.index(b",", i)]), update


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One masked client frame (control frames only: payload < 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload[:125]))
    return bytes([0x80 | opcode, 0x80 | len(masked)]) + mask + masked


class StaffView(asyncio.BufferedProtocol):
    """A staff connection that only listens; ``seqs``: room id -> lastSeq of its newest row."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()  # received, not yet parsed
        self.chunk = memoryview(bytearray(READ_CHUNK))  # the socket reads into this (no allocation per read)
        self.upgraded = False
        self.hello: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = asyncio.Event()
        self.seqs: dict[bytes, int] = {}
        self.window = (0, 0)  # ns: room-updated frames counted while window[0] <= now < window[1]
        self.updates = 0
        self.regressions = 0  # a row older than the one before it
        self.changed_ns = 0  # when a row last changed the view
        self.log: dict[bytes, tuple[list[int], list[int]]] | None = None  # sampled: (seqs, first seen ns)

    @classmethod
    async def open(cls, base: str, token: str, timeout: float = 30.0) -> StaffView:
        """Connect to ``base`` (``ws://host:port``) with a staff token; done at ``user:authenticated``."""
        url = urlsplit(base)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        _, view = await asyncio.get_running_loop().create_connection(cls, host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        assert view.transport is not None
        view.transport.write(
            f"GET /realtime?token={token} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        try:
            await asyncio.wait_for(view.hello, timeout)
        except BaseException:
            view.close()
            raise
        return view

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass of it

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(f"closed before user:authenticated: {exc}"))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.chunk

    def buffer_updated(self, nbytes: int) -> None:
        buf = self.buf
        buf += self.chunk[:nbytes]
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            if status.split(b" ")[1:2] != [b"101"]:
                self._fail(f"upgrade refused: {status.decode(errors='replace')}")
                return
            del buf[: end + 4]
            self.upgraded = True
        pos, n = 0, len(buf)
        while n - pos >= 2:
            length, head = buf[pos + 1] & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if n - pos < head + length:
                break
            opcode = buf[pos] & 0x0F
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            if opcode == TEXT:
                self._text(payload)
            elif opcode == PING:
                self._write(client_frame(PONG, payload))
            elif opcode == CLOSE:
                self._write(client_frame(CLOSE, payload[:2]))
                self.close()
                break
        del buf[:pos]

    def _text(self, payload: bytes) -> None:
        row = row_of(payload)
        if row is not None:
            self._row(*row)
        elif not self.hello.done():
            if payload.startswith(HELLO):
                self.hello.set_result(None)
            else:
                self._fail(f"first frame was {payload[:200]!r}")

    def _row(self, room: bytes, seq: int, update: bool) -> None:
        now = time.monotonic_ns()
        if update and self.window[0] <= now < self.window[1]:
            self.updates += 1
        before = self.seqs.get(room, -1)
        if seq == before:
            return
        if seq < before:
            self.regressions += 1
        self.seqs[room] = seq
        self.changed_ns = now
        if self.log is not None:
            seqs, times = self.log.setdefault(room, ([], []))
            if not seqs or seq > seqs[-1]:
                seqs.append(seq)
                times.append(now)

    def _fail(self, reason: str) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(reason))
        self.close()

    def _write(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            if self.upgraded:
                self.transport.write(client_frame(CLOSE, (1000).to_bytes(2, "big")))
            self.transport.close()
