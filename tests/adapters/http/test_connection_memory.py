"""What an open WebSocket keeps (the connect benchmark's memory per connection): no keep-alive
task of its own, no HTTP handshake state once open, and the compact attribute layout that
``prime_attribute_layout`` prepares for tornado's attributes."""

from __future__ import annotations

import asyncio

import pytest
import tornado.web

from chatserver.adapters.http.realtime import TORNADO_ATTRIBUTES, RealtimeHandler


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the transport is under test, not the store


@pytest.fixture
def overrides():
    return {"ping_interval": 25}


def handlers(app: tornado.web.Application) -> list[RealtimeHandler]:
    return list(app.settings["connections"])


async def test_tornado_sets_exactly_the_attributes_primed_for_it(app, connect):
    client = await connect()
    [handler] = handlers(app)
    assert tuple(vars(handler)) == TORNADO_ATTRIBUTES
    client.close()


async def test_open_connections_share_one_keep_alive_task(app, connect):
    for _ in range(5):
        await connect()
    names = [task.get_coro().__qualname__ for task in asyncio.all_tasks()]  # type: ignore[union-attr]
    assert "WebSocketProtocol13.periodic_ping" not in names  # tornado's, one per connection
    assert names.count("Pinger._run") == 1


async def test_the_handshake_state_is_let_go_once_open_and_the_connection_still_works(app, connect, business):
    client = await connect(sessionId="")
    [handler] = handlers(app)
    request = handler.request
    assert len(request.headers) == 0
    assert request.connection is None and request.server_connection is None
    assert request.query_arguments == {} and request.arguments == {}
    assert len(handler._headers) == 0 and handler._transforms == []
    assert request.method == "GET" and request.remote_ip == "127.0.0.1"  # what error logs read
    joined = await client.call("chat:join-room", {"businessId": business, "userName": "Ann"})
    sent = await client.call("chat:send-message", {"roomId": joined["room"]["_id"], "content": "still here"})
    assert sent["content"] == "still here"
    client.close()
