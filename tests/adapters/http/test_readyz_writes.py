"""``/readyz`` turns 503 while the instance's writes fail although the database answers reads,
and ready again after a write succeeds. The fault is real: another PostgreSQL session holds a
lock on the messages table past ``DATABASE_TIMEOUT``, so every send times out while ``SELECT 1``
(the database check) keeps answering."""

from __future__ import annotations

import json

import asyncpg
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse

from chatserver.adapters.sql.write_health import WriteHealth
from chatserver.ports.store import StoreError
from tests.services import PG_URL


@pytest.fixture
def overrides():
    return {"database_timeout": 1}


async def _readyz(base_url: str) -> HTTPResponse:
    try:
        return await AsyncHTTPClient().fetch(f"{base_url}/readyz")
    except HTTPClientError as err:
        assert err.response is not None
        return err.response


@pytest.mark.parametrize("backend", ["postgres"])
async def test_readyz_is_503_while_sends_fail_and_ready_after_one_succeeds(connect, base_url, business, settings):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "V"}))["room"]["_id"]
    await guest.call("chat:send-message", {"roomId": room_id, "content": "before"})
    locker = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        held = locker.transaction()
        await held.start()
        await locker.execute(f'LOCK TABLE "{settings.database_schema}".messages IN ACCESS EXCLUSIVE MODE')
        refused = await guest.request("chat:send-message", {"roomId": room_id, "content": "stuck"}, timeout=15)
        assert refused["error"]["code"] == "unavailable", refused
        ready = await _readyz(base_url)
        checks = json.loads(ready.body)["checks"]
        assert ready.code == 503 and checks["database"] == "ok" and checks["writes"].startswith("failing"), checks
        await held.rollback()
    finally:
        await locker.close()
    await guest.call("chat:send-message", {"roomId": room_id, "content": "after"}, timeout=15)
    ready = await _readyz(base_url)
    assert ready.code == 200 and json.loads(ready.body)["checks"]["writes"] == "ok"


def test_a_failure_mark_lapses_without_writes_so_traffic_is_tried_again():
    now = [100.0]
    health = WriteHealth(hold_s=30, clock=lambda: now[0])
    health.failed(StoreError("database unavailable: TimeoutError"))
    assert health.status().startswith("failing: 1 writes failed") and "TimeoutError" in health.status()
    now[0] += 29
    assert health.status() != "ok"
    now[0] += 1
    assert health.status() == "ok"
    health.failed(StoreError("again"))
    health.succeeded()
    assert health.status() == "ok"
