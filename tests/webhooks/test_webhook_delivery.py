"""Webhooks end to end against real HTTP receivers: registration, signed deliveries in room order,
retries after 500s and timeouts, giving up and replaying, filters, and concurrent workers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from chatserver.client import Connection
from chatserver.webhooks.signing import verify
from tests.conftest import make_token
from tests.rest import api
from tests.webhooks.receiver import Hang, Receiver

FAST = {
    "webhook_retry_base_ms": 30,
    "webhook_retry_max_ms": 200,
    "webhook_timeout_ms": 3000,  # generous: a slow CI machine must not turn a 200 into a retry
    "webhook_poll_ms": 50,
    "webhook_allow_private_networks": True,  # the receivers listen on 127.0.0.1
}


@pytest.fixture
def overrides() -> dict[str, Any]:
    return dict(FAST)


async def register(base_url: str, token: str, business: str, url: str, events: Any = None) -> dict[str, Any]:
    body = {"businessId": business, "url": url, **({"events": events} if events is not None else {})}
    status, reply = await api(base_url, "POST", "/api/webhooks", token, body)
    assert status == 201, reply
    return dict(reply["webhook"])


async def guest_chat(ws_url: str, business: str, messages: int) -> tuple[Connection, str]:
    guest = await Connection.open(ws_url)
    await guest.handshake()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "Hooked"}))["room"]["_id"]
    for i in range(1, messages + 1):
        await guest.call("chat:send-message", {"roomId": room_id, "content": f"m{i}", "clientMsgId": f"c{i}"})
    return guest, room_id


async def delivered_record(base_url: str, token: str, webhook_id: str) -> dict[str, Any]:
    """The webhook's single delivery once the worker has recorded its success (just after the
    receiver answered)."""
    for _ in range(100):
        _, page = await api(base_url, "GET", f"/api/webhooks/{webhook_id}/deliveries", token)
        [delivery] = page["deliveries"]
        if delivery["status"] == "delivered":
            return dict(delivery)
        await asyncio.sleep(0.05)
    raise AssertionError(f"not recorded as delivered: {delivery}")


def summary(requests: list[Any]) -> list[tuple[str, int | None]]:
    out = []
    for r in requests:
        body = r.json
        seq = body["data"]["message"]["seq"] if body["type"] == "message.created" else None
        out.append((body["type"], seq))
    return out


async def test_registration_rules(base_url, business, other_business, staff_token, receiver):
    status, reply = await api(base_url, "POST", "/api/webhooks", None, {"businessId": business, "url": receiver.url})
    assert status == 401 and reply["error"]["code"] == "auth_invalid"
    foreign = make_token("staff", "Eve", other_business)
    status, reply = await api(base_url, "POST", "/api/webhooks", foreign, {"businessId": business, "url": receiver.url})
    assert status == 403 and reply["error"]["code"] == "forbidden"
    for bad, field in (
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "http://user:pw@example.com/x"}, "url"),
        ({"url": receiver.url, "events": ["message.deleted"]}, "events"),
        ({"url": receiver.url, "events": []}, "events"),
    ):
        status, reply = await api(base_url, "POST", "/api/webhooks", staff_token, {"businessId": business, **bad})
        assert status == 400 and reply["error"]["field"] == field, reply
    hook = await register(base_url, staff_token, business, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["*"]
    status, listed = await api(base_url, "GET", f"/api/webhooks?businessId={business}", staff_token)
    assert status == 200 and [h["_id"] for h in listed["webhooks"]] == [hook["_id"]]
    assert "secret" not in listed["webhooks"][0]
    assert listed["webhooks"][0]["deliveries"] == {"pending": 0, "delivered": 0, "failed": 0}
    status, _ = await api(base_url, "DELETE", f"/api/webhooks/{hook['_id']}", foreign)
    assert status == 403
    status, _ = await api(base_url, "DELETE", f"/api/webhooks/{hook['_id']}", staff_token)
    assert status == 204
    status, reply = await api(base_url, "GET", f"/api/webhooks/{hook['_id']}/deliveries", staff_token)
    assert status == 404 and reply["error"]["code"] == "not_found"


async def test_events_arrive_signed_and_in_room_order(base_url, ws_url, business, staff_token, receiver):
    hook = await register(base_url, staff_token, business, receiver.url)
    guest, room_id = await guest_chat(ws_url, business, 3)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "m3", "clientMsgId": "c3"})  # a duplicate
    await receiver.wait_until(lambda: len(receiver.ok()) >= 4)
    assert summary(receiver.ok()) == [
        ("room.created", None),
        ("message.created", 1),
        ("message.created", 2),
        ("message.created", 3),
    ]
    now = int(time.time())
    for request in receiver.ok():
        body = request.json
        assert request.path == "/hooks" and request.headers["content-type"] == "application/json"
        assert verify(hook["secret"], request.headers["x-chatserver-signature"], request.body, now=now)
        assert request.headers["x-chatserver-event"] == body["type"]
        assert request.headers["x-chatserver-event-id"] == body["id"] and body["id"].startswith("evt_")
        assert body["businessId"] == business and body["createdAt"].endswith("Z")
    room = receiver.ok()[0].json["data"]["room"]
    assert room["_id"] == room_id and room["metadata"]["isGuest"] is True and "sessionId" not in json.dumps(room)
    message = receiver.ok()[1].json["data"]["message"]
    assert message["roomId"] == room_id and message["content"] == "m1" and message["clientMsgId"] == "c1"
    assert len({r.json["id"] for r in receiver.ok()}) == 4
    await guest.aclose()


async def test_retries_after_500s_then_records_the_delivery(base_url, ws_url, business, staff_token, receiver):
    hook = await register(base_url, staff_token, business, receiver.url, ["room.created"])
    receiver.script.extend([500, 502, 200])
    guest, _ = await guest_chat(ws_url, business, 1)
    await receiver.wait_until(lambda: len(receiver.ok()) == 1)
    assert [r.answered for r in receiver.requests] == [500, 502, 200]
    assert len({r.json["id"] for r in receiver.requests}) == 1, "every attempt carries the same event"
    assert [r.headers["x-chatserver-attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert len({r.body for r in receiver.requests}) == 1, "every attempt sends the same bytes"
    delivery = await delivered_record(base_url, staff_token, hook["_id"])
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert delivery["lastStatus"] == 200 and delivery["lastError"] == "HTTP 502"
    assert delivery["eventType"] == "room.created" and delivery["deliveredAt"]
    await guest.aclose()


@pytest.fixture
def short_timeout(overrides: dict[str, Any]) -> None:
    overrides["webhook_timeout_ms"] = 300


async def test_a_receiver_that_times_out_is_retried(short_timeout, base_url, ws_url, business, staff_token, receiver):
    hook = await register(base_url, staff_token, business, receiver.url, ["room.created"])
    receiver.script.append(Hang(1.5))
    guest, _ = await guest_chat(ws_url, business, 0)
    await receiver.wait_until(lambda: len(receiver.ok()) >= 1)
    assert receiver.requests[0].answered == 0, "the first attempt got no answer in time"
    assert receiver.ok()[0].json["id"] == receiver.requests[0].json["id"]
    _, page = await api(base_url, "GET", f"/api/webhooks/{hook['_id']}/deliveries", staff_token)
    assert page["deliveries"][0]["lastError"] == "timed out"
    await guest.aclose()


@pytest.fixture
def short_window(overrides: dict[str, Any]) -> None:
    overrides["webhook_retry_window_ms"] = 150


async def test_gives_up_after_the_window_and_replays_on_request(
    short_window, base_url, ws_url, business, staff_token, receiver
):
    hook = await register(base_url, staff_token, business, receiver.url, ["room.created"])
    receiver.default = 503
    guest, _ = await guest_chat(ws_url, business, 0)
    path = f"/api/webhooks/{hook['_id']}/deliveries?status=failed"

    async def failed() -> list[dict[str, Any]]:
        return list((await api(base_url, "GET", path, staff_token))[1]["deliveries"])

    for _ in range(200):
        if await failed():
            break
        await asyncio.sleep(0.05)
    [dead] = await failed()
    assert dead["status"] == "failed" and dead["attempts"] >= 1 and dead["lastError"] == "HTTP 503"
    assert dead["nextAttemptAt"] is None
    _, listed = await api(base_url, "GET", f"/api/webhooks?businessId={business}", staff_token)
    assert listed["webhooks"][0]["deliveries"]["failed"] == 1

    receiver.default = 200
    status, reply = await api(
        base_url, "POST", f"/api/webhooks/{hook['_id']}/replay", staff_token, {"deliveryId": dead["_id"]}
    )
    assert status == 200 and reply == {"replayed": 1}
    await receiver.wait_until(lambda: len(receiver.ok()) == 1)
    assert receiver.ok()[0].json["id"] == receiver.requests[0].json["id"]
    status, reply = await api(
        base_url, "POST", f"/api/webhooks/{hook['_id']}/replay", staff_token, {"status": "pending"}
    )
    assert status == 400
    await guest.aclose()


async def test_a_failing_event_holds_back_later_events_of_its_room(base_url, ws_url, business, staff_token, receiver):
    await register(base_url, staff_token, business, receiver.url, ["message.created"])
    receiver.script.extend([500, 500])  # the first message fails twice
    guest, _ = await guest_chat(ws_url, business, 4)
    await receiver.wait_until(lambda: len(receiver.ok()) == 4)
    assert [seq for _, seq in summary(receiver.ok())] == [1, 2, 3, 4]
    assert [seq for _, seq in summary(receiver.requests)] == [1, 1, 1, 2, 3, 4]
    await guest.aclose()


async def test_filters_and_businesses_are_respected(base_url, ws_url, business, other_business, staff_token, receiver):
    await register(base_url, staff_token, business, receiver.url, ["room.created"])
    other = await Receiver().start()
    try:
        await register(base_url, make_token("staff", "Olga", other_business), other_business, other.url)
        guest, _ = await guest_chat(ws_url, business, 2)
        await receiver.wait_until(lambda: len(receiver.ok()) == 1)
        other_guest, _ = await guest_chat(ws_url, other_business, 1)
        await other.wait_until(lambda: len(other.ok()) == 2)
        assert summary(other.ok()) == [("room.created", None), ("message.created", 1)]
        assert summary(receiver.requests) == [("room.created", None)], "message events are filtered out"
        await guest.aclose()
        await other_guest.aclose()
    finally:
        await other.close()


async def test_no_outbox_rows_without_webhooks(runtime, ws_url, business):
    from sqlalchemy import func, select

    from chatserver.adapters.sql.models import WebhookEventRow

    guest, _ = await guest_chat(ws_url, business, 2)
    async with runtime.store.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(WebhookEventRow))).scalar_one() == 0
    await guest.aclose()
