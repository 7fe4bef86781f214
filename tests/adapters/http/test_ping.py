"""Keep-alive as protocol.md §1 states it: a ping every ``WS_PING_INTERVAL`` seconds, and a
connection that has not answered one within that long is closed; one that answers stays."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.rawws import CLOSE, PING, RawWebSocket

INTERVAL = 1


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the transport is under test, not the store


@pytest.fixture
def overrides():
    return {"ping_interval": INTERVAL}


async def test_a_client_that_never_answers_a_ping_is_closed(http_server, http_server_port):
    silent = await RawWebSocket.connect(http_server_port[1])
    started = time.monotonic()
    pinged = False
    try:
        while True:  # read frames without ever sending a pong
            opcode, _ = await asyncio.wait_for(silent.read_frame(), 6 * INTERVAL)
            pinged = pinged or opcode == PING
            if opcode == CLOSE:
                break
    except asyncio.IncompleteReadError:
        pass  # the server closed the socket
    finally:
        silent.close()
    assert pinged, "the server never pinged"
    assert time.monotonic() - started <= 3 * INTERVAL + 1


async def test_a_client_that_answers_stays_connected(http_server, http_server_port):
    polite = await RawWebSocket.connect(http_server_port[1])
    try:
        assert (await polite.read_json() or {}).get("event") == "guest:registered"
        with pytest.raises(TimeoutError):  # answers every ping (read_message does); nothing else comes
            await asyncio.wait_for(polite.read_message(), 4 * INTERVAL)
        assert polite.close_code is None
    finally:
        polite.close()
