"""The wire contract: envelope, event names, payload schemas, error and close codes, and every
encoding of the server's objects.

This package is data plus pure functions and the single source of truth that ``protocol.md``
documents. What is imported here reads nothing from the rest of chatserver (the Python client
uses it alone). The encoders, imported by name, read the domain's plain value objects:

- ``wire``: rooms, messages, the dashboard's objects, and the replies and pushes carrying them;
- ``handshake``: the first frame of a connection;
- ``broker_codec``: publications between instances;
- ``webhook_payloads``: webhook REST objects and event bodies;
- ``webhook_events``: the webhook event types and the outbox events carrying those bodies;
- ``timestamps``: epoch milliseconds as ISO 8601.
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
