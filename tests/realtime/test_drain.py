"""Draining the gateway (SIGTERM): requests being answered finish and are acknowledged; frames
arriving after the drain began are refused with ``unavailable``; the wait is bounded."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture
def backend():
    return "sqlite"


async def test_drain_waits_for_requests_in_flight_and_refuses_new_ones(connect, runtime):
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(client, data):
        started.set()
        await release.wait()
        return {"done": True}

    runtime.gateway.handlers["test:slow"] = slow
    guest = await connect()
    other = await connect()
    guest.emit("test:slow", {}, ack=1)
    await asyncio.wait_for(started.wait(), 5)

    draining = asyncio.ensure_future(runtime.gateway.drain(5))
    await asyncio.sleep(0.05)
    assert not draining.done(), "drain returned while a request was still being answered"
    refused = await other.request("chat:history", {"roomId": "x"})
    assert refused["error"]["code"] == "unavailable"

    release.set()
    assert await asyncio.wait_for(draining, 5) is True
    answered = await guest.take(lambda f: f.get("ack") == 1)
    assert answered["data"] == {"done": True}


async def test_drain_gives_up_after_its_bound(connect, runtime):
    async def stuck(client, data):
        await asyncio.sleep(30)
        return {}

    runtime.gateway.handlers["test:stuck"] = stuck
    guest = await connect()
    guest.emit("test:stuck", {}, ack=1)
    await asyncio.sleep(0.05)
    assert await runtime.gateway.drain(0.1) is False
