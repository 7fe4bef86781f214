"""A server-side WebSocket (RFC 6455) once the upgrade is answered: frames on an asyncio transport.

Why not tornado's ``WebSocketProtocol13``: it reads every frame through its ``IOStream`` as three
or four awaited ``read_bytes`` (header, length, mask, payload), each a future resolved on the
event loop, after tornado's own ``recv`` into its buffer; a chat server spends most of its time
there. Measured on a bare echo server (docs/performance.md, phase 6), tornado's frame loop cost
≈ 140–220 µs of CPU per message against ≈ 72 µs on an asyncio protocol: here libuv (uvloop)
reads the socket, ``data_received`` cuts every complete frame out of the bytes in one pass, and a
write is one ``transport.write`` (it sends at once when the socket takes it).

tornado still answers the HTTP part: routing, headers, the handshake's checks and the header
timeout (``upgrade.py`` hands the socket over). What it did after that is here, with its
behaviour kept: the close handshake (the peer's close answered with its code; ours waits
``CLOSE_TIMEOUT_S`` for the answer, then drops the socket), pings answered with pongs,
fragmented messages reassembled, ``max_message_size`` (1009), and a protocol error (reserved
bits, an unknown opcode, a fragmented or long control frame, a continuation of nothing, text
that is not UTF-8) drops the connection without a close frame, as tornado's ``_abort``.
No compression is negotiated (the server offers none), so no frame has ``RSV1``.
"""

from __future__ import annotations

import asyncio
import struct

from tornado.util import _websocket_mask

from chatserver.adapters.http.frames import control_frame

CLOSE_TIMEOUT_S = 5.0  # as tornado: a peer that does not answer our close frame is dropped
UNSENDABLE_CODES = frozenset({1005, 1006, 1015})  # RFC 6455 §7.4.1: reported locally, never in a frame

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_LENGTH16 = struct.Struct("!H")
_LENGTH64 = struct.Struct("!Q")


class WebSocketStream(asyncio.Protocol):
    """The frames of one connection. Subclasses get each complete message (``on_text``,
    ``on_binary``), pongs (``on_pong``) and the end (``on_closed``, once)."""

    __slots__ = (
        "_buffer",
        "_close_timer",
        "_fragments",
        "_fragments_opcode",
        "_greeting",
        "_outgoing",
        "_outgoing_size",
        "client_terminated",
        "close_code",
        "close_reason",
        "max_message_size",
        "server_terminated",
        "transport",
    )

    def __init__(self, max_message_size: int) -> None:
        self.max_message_size = max_message_size
        self.transport: asyncio.Transport | None = None
        self._buffer = b""
        self._greeting = b""
        self._outgoing: list[bytes] | None = None  # written this loop iteration, sent at its end
        self._outgoing_size = 0
        self._fragments: bytearray | None = None
        self._fragments_opcode = 0
        self._close_timer: asyncio.TimerHandle | None = None
        self.client_terminated = False  # the peer's close frame arrived
        self.server_terminated = False  # ours went out
        self.close_code: int | None = None  # the peer's
        self.close_reason: str | None = None

    def greet(self, response: bytes, early: bytes) -> None:
        """Before the transport exists: ``response`` (the handshake's answer) goes out first,
        ``early`` (bytes read with the request) is read before anything the transport reads."""
        self._greeting, self._buffer = response, early

    # hooks

    def on_open(self) -> None:
        """The transport is ready and the handshake answered: frames may be written."""

    def on_text(self, text: str) -> None:
        """A complete text message."""

    def on_binary(self, data: bytes) -> None:
        """A complete binary message."""

    def on_pong(self, data: bytes) -> None:
        """A pong (the answer to ``ping``)."""

    def on_closed(self) -> None:
        """The connection is gone (after the close handshake, an error or the peer leaving)."""

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self._greeting:
            transport.write(self._greeting)  # type: ignore[attr-defined]
            self._greeting = b""
        self.on_open()
        if self._buffer and not transport.is_closing():
            self.data_received(b"")

    def connection_lost(self, exc: Exception | None) -> None:
        self._outgoing, self._outgoing_size = None, 0
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        self._buffer, self._fragments = b"", None
        self.on_closed()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        size = len(buffer)
        pos = 0
        # a client's frame is at least 6 bytes: 2 of header, 4 of mask
        while size - pos >= 2 and not self.client_terminated:
            first, second = buffer[pos], buffer[pos + 1]
            length = second & 0x7F
            start = pos + 2
            if length == 126:
                if size - start < 2:
                    break
                length = _LENGTH16.unpack_from(buffer, start)[0]
                start += 2
            elif length == 127:
                if size - start < 8:
                    break
                length = _LENGTH64.unpack_from(buffer, start)[0]
                start += 8
            if length > self.max_message_size or (
                self._fragments is not None and len(self._fragments) + length > self.max_message_size
            ):
                self.close(1009, "message too big")
                self.abort()
                return
            masked = second & 0x80
            end = start + (4 if masked else 0) + length
            if size < end:
                break
            payload = (
                _websocket_mask(buffer[start : start + 4], buffer[start + 4 : end]) if masked else buffer[start:end]
            )
            pos = end
            if not self._frame(first, payload):
                self.abort()
                return
            if self.transport is None or self.transport.is_closing():
                return
        rest = buffer[pos:] if pos else buffer
        self._buffer = rest if not self.client_terminated else b""

    def eof_received(self) -> bool | None:
        return None  # the transport closes itself: connection_lost follows

    # frames

    def _frame(self, header: int, payload: bytes) -> bool:
        """One frame; False for a protocol error (the caller drops the connection)."""
        if header & 0x70:  # RSV1-3: no extension was negotiated
            return False
        opcode = header & 0x0F
        final = header & 0x80
        if opcode & 0x8:  # control frames: short, never fragmented, may come between fragments
            if not final or len(payload) > 125:
                return False
            return self._control(opcode, payload)
        if opcode == OP_CONTINUATION:
            if self._fragments is None:
                return False
            self._fragments += payload
            if not final:
                return True
            opcode, payload, self._fragments = self._fragments_opcode, bytes(self._fragments), None
        elif self._fragments is not None:
            return False  # a new message before the fragmented one ended
        elif not final:
            self._fragments, self._fragments_opcode = bytearray(payload), opcode
            return True
        if opcode == OP_TEXT:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                return False
            self.on_text(text)
            return True
        if opcode == OP_BINARY:
            self.on_binary(payload)
            return True
        return False

    def _control(self, opcode: int, payload: bytes) -> bool:
        if opcode == OP_PING:
            self.write(control_frame(OP_PONG, payload))
            return True
        if opcode == OP_PONG:
            self.on_pong(payload)
            return True
        if opcode == OP_CLOSE:
            self.client_terminated = True
            if len(payload) >= 2:
                self.close_code = _LENGTH16.unpack_from(payload)[0]
                self.close_reason = payload[2:].decode("utf-8", "replace")
            self.close(self.close_code)  # the answer echoes the peer's code (RFC 6455 §5.5.1)
            return True
        return False

    # writing and closing

    def write(self, data: bytes) -> bool:
        """Queue ``data`` (whole frames); False once the connection is closing.

        Frames written to one connection in one loop iteration (an ack and the message it
        stored, a message and its room's update) leave in one ``send`` when the iteration ends
        (``_Corked``): a system call per connection per iteration instead of one per frame."""
        transport = self.transport
        if transport is None or transport.is_closing() or self.server_terminated:
            return False
        outgoing = self._outgoing
        if outgoing is None:
            self._outgoing = [data]
            _corked.add(self)
        else:
            outgoing.append(data)
        self._outgoing_size += len(data)
        return True

    def flush(self) -> None:
        """Send what this iteration queued."""
        outgoing, self._outgoing, self._outgoing_size = self._outgoing, None, 0
        transport = self.transport
        if outgoing and transport is not None and not transport.is_closing():
            transport.write(outgoing[0] if len(outgoing) == 1 else b"".join(outgoing))

    def write_buffer_size(self) -> int:
        """Bytes written and not yet taken by the socket."""
        transport = self.transport
        return self._outgoing_size + (0 if transport is None else transport.get_write_buffer_size())

    def ping(self) -> None:
        self.write(control_frame(OP_PING, b""))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Start (or, after the peer's close frame, finish) the close handshake."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self.flush()  # what was queued goes before the close frame
        if not self.server_terminated:
            if code is None and reason is not None:
                code = 1000  # "normal closure", as tornado
            if code is None or code in UNSENDABLE_CODES:
                payload = b""
            else:
                payload = _LENGTH16.pack(code) + (reason or "").encode("utf-8")[:123]
            transport.write(control_frame(OP_CLOSE, payload))
            self.server_terminated = True
        if self.client_terminated:
            transport.close()  # both sides said so: done (the buffered close frame still goes out)
        elif self._close_timer is None:
            loop = asyncio.get_running_loop()
            self._close_timer = loop.call_later(CLOSE_TIMEOUT_S, self.abort)

    def abort(self) -> None:
        """Drop the connection now, without a close handshake."""
        if self.transport is not None:
            self.transport.abort()

    def is_closing(self) -> bool:
        transport = self.transport
        return self.server_terminated or self.client_terminated or transport is None or transport.is_closing()


class _Corked:
    """The connections written to in this loop iteration; one callback sends for all of them.
    Kept per event loop: a loop stopped before its callback ran (a test's) leaves nothing behind
    that would keep the next loop's writes waiting."""

    def __init__(self) -> None:
        self._streams: list[WebSocketStream] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, stream: WebSocketStream) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._streams = loop, []
        if not self._streams:
            loop.call_soon(self._flush)
        self._streams.append(stream)

    def _flush(self) -> None:
        streams, self._streams = self._streams, []
        for stream in streams:
            stream.flush()


_corked = _Corked()
