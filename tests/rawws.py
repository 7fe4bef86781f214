"""A hand-rolled RFC 6455 client on asyncio streams, for what a well-behaved client never does:
send text frames that are not UTF-8, or stop reading altogether."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from typing import Any
from urllib.parse import urlencode

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def _mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return payload
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def encode_client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked frame (clients must mask)."""
    head = bytes([0x80 | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([0x80 | size])
    elif size < 2**16:
        head += bytes([0x80 | 126]) + struct.pack(">H", size)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", size)
    key = os.urandom(4)
    return head + key + _mask(payload, key)


class RawWebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.close_code: int | None = None

    @classmethod
    async def connect(
        cls,
        port: int,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        receive_buffer: int | None = None,
    ) -> RawWebSocket:
        """Open ``/realtime`` on 127.0.0.1; ``receive_buffer`` shrinks the socket's receive buffer
        (set before connecting, so the TCP window stays small)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
        path = "/realtime" + (f"?{urlencode(query)}" if query else "")
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = await reader.readuntil(b"\r\n\r\n")
        if not response.startswith(b"HTTP/1.1 101"):
            writer.close()
            raise ConnectionError(response.split(b"\r\n", 1)[0].decode())
        return cls(reader, writer)

    def send(self, opcode: int, payload: bytes) -> None:
        self.writer.write(encode_client_frame(opcode, payload))

    def send_text(self, text: str | bytes) -> None:
        """``bytes`` go out as they are, so they may be invalid UTF-8."""
        self.send(TEXT, text.encode() if isinstance(text, str) else text)

    def send_json(self, body: dict[str, Any]) -> None:
        self.send_text(json.dumps(body))

    def stop_reading(self) -> None:
        """Read nothing more: the kernel buffers fill, then the server's queue for us grows."""
        transport = self.writer.transport
        assert isinstance(transport, asyncio.ReadTransport)
        transport.pause_reading()

    def resume_reading(self) -> None:
        transport = self.writer.transport
        assert isinstance(transport, asyncio.ReadTransport)
        transport.resume_reading()

    async def read_frame(self) -> tuple[int, bytes]:
        head = await self.reader.readexactly(2)
        size = head[1] & 0x7F
        if size == 126:
            size = struct.unpack(">H", await self.reader.readexactly(2))[0]
        elif size == 127:
            size = struct.unpack(">Q", await self.reader.readexactly(8))[0]
        return head[0] & 0x0F, await self.reader.readexactly(size)

    async def read_message(self) -> str | None:
        """The next text message; ``None`` once the server closed (``close_code`` tells how)."""
        while True:
            try:
                opcode, payload = await self.read_frame()
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            if opcode == CLOSE:
                self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                return None
            if opcode == PING:
                self.send(PONG, payload)
            elif opcode == TEXT:
                return payload.decode()

    async def read_json(self) -> dict[str, Any] | None:
        text = await self.read_message()
        return None if text is None else dict(json.loads(text))

    def close(self) -> None:
        self.writer.close()
