"""Several server-to-client WebSocket text frames as the bytes of one socket write.

Why not tornado's frame writer: it writes each frame on its own, one ``send`` per frame, and a
burst of staff notifications reaches every staff connection of a business — hundreds of
frames per connection a second on a busy one. Written together they cost one ``send`` per
connection, and being the same for every receiver, they are encoded once (``Frames.encoded``).
The framing is RFC 6455 §5.2 for a server: unmasked, final, text opcode, no compression (the
server offers none). ``control_frame`` builds the close, ping and pong frames (``wsstream.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

FIN_TEXT = 0x81  # FIN bit + text opcode
_MEDIUM = struct.Struct("!BBH")  # length 126..65535: 126, then a 16-bit length
_LONG = struct.Struct("!BBQ")  # longer: 127, then a 64-bit length


def control_frame(opcode: int, payload: bytes) -> bytes:
    """A close, ping or pong frame (``payload`` at most 125 bytes, as RFC 6455 §5.5 requires)."""
    return bytes((0x80 | opcode, len(payload))) + payload


def text_frames(texts: Iterable[str]) -> bytes:
    parts: list[bytes] = []
    for text in texts:
        payload = text.encode("utf-8")
        size = len(payload)
        if size < 126:
            parts.append(bytes((FIN_TEXT, size)))
        elif size <= 0xFFFF:
            parts.append(_MEDIUM.pack(FIN_TEXT, 126, size))
        else:
            parts.append(_LONG.pack(FIN_TEXT, 127, size))
        parts.append(payload)
    return b"".join(parts)
