"""What an open WebSocket keeps (the connect benchmark's memory per connection): no keep-alive
task of its own, nothing of the HTTP handshake once open (the request handler, its request and
tornado's stream are let go), and slots only."""

from __future__ import annotations

import asyncio
import gc

import pytest
import tornado.web
from tornado.httputil import HTTPServerRequest
from tornado.iostream import IOStream

from chatserver.adapters.http.realtime import RealtimeConnection
from chatserver.adapters.http.realtime_handler import RealtimeHandler


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the transport is under test, not the store


@pytest.fixture
def overrides():
    return {"ping_interval": 25}


def connections(app: tornado.web.Application) -> list[RealtimeConnection]:
    return list(app.settings["connections"])


async def test_open_connections_share_one_keep_alive_task(app, connect):
    for _ in range(5):
        await connect()
    names = [task.get_coro().__qualname__ for task in asyncio.all_tasks()]  # type: ignore[union-attr]
    assert names.count("Pinger._run") == 1


async def test_the_handshake_is_let_go_once_open_and_the_connection_still_works(app, connect, business):
    client = await connect(sessionId="")
    [connection] = connections(app)
    assert not hasattr(connection, "__dict__")  # slots all the way down
    gc.collect()
    alive = gc.get_objects()
    assert not [obj for obj in alive if isinstance(obj, RealtimeHandler)]
    # (other tests build requests of their own: this one's came from the loopback client)
    assert not [
        obj
        for obj in alive
        if isinstance(obj, HTTPServerRequest) and obj.path == "/realtime" and obj.remote_ip == "127.0.0.1"
    ]
    assert not [obj for obj in alive if isinstance(obj, IOStream) and obj.socket is None]  # the handed-over one
    joined = await client.call("chat:join-room", {"businessId": business, "userName": "Ann"})
    sent = await client.call("chat:send-message", {"roomId": joined["room"]["_id"], "content": "still here"})
    assert sent["content"] == "still here"
    client.close()
