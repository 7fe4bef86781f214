"""The wire contract: envelope, event names, payload schemas, error and close codes.

This package is data plus pure functions; it imports nothing from the rest of chatserver
and is the single source of truth that ``protocol.md`` documents.
"""

from chatserver.protocol import events
from chatserver.protocol.codes import CloseCode, ErrorCode
from chatserver.protocol.envelope import Envelope, FrameError, decode_frame, encode_frame
from chatserver.protocol.errors import ChatError
from chatserver.protocol.version import PROTOCOL_VERSION

__all__ = [
    "PROTOCOL_VERSION",
    "ChatError",
    "CloseCode",
    "Envelope",
    "ErrorCode",
    "FrameError",
    "decode_frame",
    "encode_frame",
    "events",
]
