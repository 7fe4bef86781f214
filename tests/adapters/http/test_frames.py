"""Frames written together are byte for byte the frames tornado's writer would send one by one."""

from __future__ import annotations

from typing import Any

from tornado.websocket import WebSocketProtocol13

from chatserver.adapters.http.frames import text_frames


class _Capture:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data


def _tornado_frames(texts: list[str]) -> bytes:
    protocol: Any = WebSocketProtocol13.__new__(WebSocketProtocol13)
    protocol.mask_outgoing = False
    protocol._wire_bytes_out = 0
    protocol.stream = _Capture()
    for text in texts:
        protocol._write_frame(True, 0x1, text.encode("utf-8"))
    return bytes(protocol.stream.written)


def test_every_length_class_is_framed_as_tornado_frames_it():
    texts = ["", "x" * 125, "y" * 126, "z" * 0xFFFF, "w" * 0x10000, '{"event":"chat:room-updated","data":{"é":"日本"}}']
    assert text_frames(texts) == _tornado_frames(texts)


def test_no_frames_are_no_bytes():
    assert text_frames([]) == b""
