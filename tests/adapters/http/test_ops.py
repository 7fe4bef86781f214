"""Operations endpoints and shared limits on a real in-process server (SQLite and PostgreSQL):
/healthz, /readyz, /metrics, per-IP guest registrations, the rooms-per-guest quota under races."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse

from chatserver.domain.clock import now_ms
from tests.helpers import Closed, WsClient


async def get(url: str) -> HTTPResponse:
    try:
        return await AsyncHTTPClient().fetch(url)
    except HTTPClientError as err:
        assert err.response is not None
        return err.response


async def test_healthz_and_readyz_name_the_instance(base_url, runtime):
    health = await get(f"{base_url}/healthz")
    assert health.code == 200 and json.loads(health.body)["status"] == "ok"
    ready = await get(f"{base_url}/readyz")
    body = json.loads(ready.body)
    assert ready.code == 200
    checks = {"database": "ok", "broker": "ok", "writes": "ok"}
    assert body == {"status": "ready", "instance": runtime.instance_id, "checks": checks}
    assert ready.headers["X-Chatserver-Instance"] == runtime.instance_id


async def test_readyz_is_503_while_draining(base_url, runtime):
    runtime.draining = True
    ready = await get(f"{base_url}/readyz")
    assert ready.code == 503 and json.loads(ready.body)["checks"]["server"] == "draining"


async def test_the_websocket_upgrade_names_the_instance(ws_url, runtime):
    client = await WsClient.connect(ws_url)
    try:
        assert client.conn.headers["X-Chatserver-Instance"] == runtime.instance_id
        assert (await client.next())["event"] == "guest:registered"  # the server is done with it
    finally:
        client.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_connections_frames_messages_and_errors(connect, business, base_url):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business}))["room"]["_id"]
    await guest.call("chat:send-message", {"roomId": room_id, "content": "counted", "clientMsgId": "m-1"})
    await guest.call("chat:send-message", {"roomId": room_id, "content": "counted", "clientMsgId": "m-1"})
    await guest.request("chat:dance", {})
    await guest.wait_for("chat:new-message")

    response = await get(f"{base_url}/metrics")
    assert response.code == 200 and response.headers["Content-Type"].startswith("text/plain")
    got = samples(response.body.decode())
    assert got[("chatserver_connections", (("kind", "guest"),))] == 1
    assert got[("chatserver_connections", (("kind", "staff"),))] == 0
    assert got[("chatserver_frames_in_total", ())] == 4
    assert got[("chatserver_frames_out_total", ())] >= 6  # registered, 4 acks, the echo
    assert got[("chatserver_messages_stored_total", ())] == 1  # the retry is not stored again
    assert got[("chatserver_errors_total", (("code", "unknown_event"),))] == 1
    assert got[("chatserver_errors_total", (("code", "forbidden"),))] == 0
    # the in-process broker carries no message (each is delivered here as it is stored), so the
    # broker's latency has nothing to measure; over Redis it does (tests/cluster)
    assert got[("chatserver_fanout_latency_seconds_count", ())] == 0
    assert got[("chatserver_redis_reconnects_total", ())] == 0


class TestGuestRegistrationsPerIp:
    @pytest.fixture
    def overrides(self):
        return {"guest_registrations_per_ip": 2}

    async def test_new_guests_beyond_the_limit_are_refused_with_4429(self, connect, ws_url):
        first = await connect()
        await connect()
        refused = await WsClient.connect(ws_url)
        try:
            frame = await refused.next()
            assert frame["event"] == "error"
            assert frame["data"]["code"] == "rate_limited" and frame["data"]["retryAfterMs"] > 0
            assert await refused.wait_closed() == 4429
        finally:
            refused.close()
        got = samples((await get(ws_url.replace("ws://", "http://").replace("/realtime", "/metrics"))).body.decode())
        assert got[("chatserver_errors_total", (("code", "rate_limited"),))] == 1
        # a returning guest is not a new registration
        again = await connect(sessionId=first.frames[0]["data"]["sessionId"])
        assert again.frames[0]["data"]["resumed"] is True


class TestRoomQuota:
    @pytest.fixture
    def overrides(self):
        return {"guest_max_rooms_per_session": 2}

    async def test_concurrent_joins_of_one_guest_cannot_exceed_the_quota(self, connect, runtime):
        businesses = [(await runtime.store.create_business(f"B{i}", now_ms())).id for i in range(5)]
        first = await connect()
        session_id = first.frames[0]["data"]["sessionId"]
        tabs = [first, *[await connect(sessionId=session_id) for _ in range(4)]]
        replies = await asyncio.gather(
            *(tab.request("chat:join-room", {"businessId": b}) for tab, b in zip(tabs, businesses, strict=True))
        )
        codes = sorted(r["error"]["code"] if "error" in r else "ok" for r in replies)
        assert codes == ["limit_reached"] * 3 + ["ok"] * 2


async def test_closed_connections_are_not_counted(connect, base_url):
    guest = await connect()
    guest.close()
    with pytest.raises((Closed, TimeoutError)):
        await guest.next(timeout=0.2)
    for _ in range(100):
        got = samples((await get(f"{base_url}/metrics")).body.decode())
        if got[("chatserver_connections", (("kind", "guest"),))] == 0:
            break
        await asyncio.sleep(0.02)
    assert got[("chatserver_connections", (("kind", "guest"),))] == 0
