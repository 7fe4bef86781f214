"""An asyncio client for chatserver's realtime protocol (protocol.md), for bots, back-end
integrations and tests.

    async with ChatClient("ws://localhost:3000/realtime", token=token) as client:
        await client.join_room(room_id=room_id)
        async for event in client:
            ...

``ChatClient`` reconnects and resumes by itself; ``Connection`` is the single raw connection
beneath it (used by the conformance suite). Only ``transport`` touches the network library.
"""

from chatserver.client.client import ChatClient
from chatserver.client.connection import Connection, Reply
from chatserver.client.errors import (
    AckTimeout,
    AuthRejected,
    ClientClosed,
    ClientError,
    ConnectionClosed,
    RequestFailed,
)
from chatserver.client.models import RECONNECTED, ROOM_LOST, SESSION_RESET, Event, Identity, Joined, Message, Page
from chatserver.client.options import ClientOptions

__all__ = [
    "RECONNECTED",
    "ROOM_LOST",
    "SESSION_RESET",
    "AckTimeout",
    "AuthRejected",
    "ChatClient",
    "ClientClosed",
    "ClientError",
    "ClientOptions",
    "Connection",
    "ConnectionClosed",
    "Event",
    "Identity",
    "Joined",
    "Message",
    "Page",
    "Reply",
    "RequestFailed",
]
