"""Webhook events of the business features, delivered to real HTTP receivers: ``room.closed``
(``chat:close-room`` and ``PATCH /api/chat/rooms/{id}``), ``guest.updated``
(``chat:update-guest-info``, a repeated conversion with a new phone) and ``guest.converted``
(``convert-guest`` and the automatic link of a converted guest's new room). Each is signed, has the
payload the OpenAPI document describes for its type, is sent only when something changed, and is
written in the change's own transaction: a change that rolls back sends nothing.

"Nothing was sent for a repeat" is shown without waiting for a silence: events of one room reach
a webhook in the order they were written, so once the event of a later change has arrived, any
event of the repeat would have arrived before it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select, update

import chatserver.adapters.sql.business_sql as business_sql
from chatserver.adapters.http.openapi import openapi_document
from chatserver.adapters.http.openapi_webhooks import event_schema_name
from chatserver.adapters.sql.models import RoomRow, WebhookEventRow
from chatserver.protocol.webhook_events import EventType
from chatserver.webhooks.signing import verify
from tests.conftest import make_token
from tests.rest import api
from tests.webhooks.receiver import Received, Receiver

FAST = {
    "webhook_retry_base_ms": 30,
    "webhook_retry_max_ms": 200,
    "webhook_timeout_ms": 3000,
    "webhook_poll_ms": 50,
    "webhook_allow_private_networks": True,  # the receivers listen on 127.0.0.1
}


@pytest.fixture
def overrides() -> dict[str, Any]:
    return dict(FAST)


async def register(base_url: str, token: str, business: str, url: str, events: list[str]) -> dict[str, Any]:
    status, reply = await api(
        base_url, "POST", "/api/webhooks", token=token, body={"businessId": business, "url": url, "events": events}
    )
    assert status == 201, reply
    return dict(reply["webhook"])


def checked(request: Received, hook: dict[str, Any]) -> dict[str, Any]:
    """The event body, after checking the signature, the headers and the documented payload."""
    body = request.json
    assert verify(hook["secret"], request.headers["x-chatserver-signature"], request.body, now=int(time.time()))
    assert request.headers["x-chatserver-event"] == body["type"]
    assert request.headers["x-chatserver-event-id"] == body["id"] and body["id"].startswith("evt_")
    assert body["businessId"] == hook["businessId"]
    document = openapi_document()
    schema = {"$ref": f"#/components/schemas/{event_schema_name(EventType(body['type']))}", **document}
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
    assert errors == [], errors
    assert "sessionId" not in json.dumps(body)
    return body


async def join(client: Any, business: str, name: str = "Visitor") -> dict[str, Any]:
    return dict((await client.call("chat:join-room", {"businessId": business, "userName": name}))["room"])


async def test_room_closed_by_the_realtime_event_and_by_rest(connect, base_url, business, staff_token, receiver):
    hook = await register(base_url, staff_token, business, receiver.url, ["room.closed"])
    guest = await connect()
    room = await join(guest, business)
    staff = await connect(token=staff_token)
    staff_id = staff.frames[0]["data"]["userId"]
    first = (await staff.call("chat:close-room", {"roomId": room["_id"]}))["room"]
    await staff.call("chat:close-room", {"roomId": room["_id"]})  # already closed: no event
    path = f"/api/chat/rooms/{room['_id']}"
    assert (await api(base_url, "PATCH", path, token=staff_token, body={"status": "closed"}))[0] == 200  # neither
    assert (await api(base_url, "PATCH", path, token=staff_token, body={"status": "open"}))[0] == 200
    status, second = await api(base_url, "PATCH", path, token=staff_token, body={"status": "closed"})
    assert status == 200
    await receiver.wait_until(lambda: len(receiver.ok()) >= 2)
    assert len(receiver.requests) == 2, "one event per close that changed the room"
    bodies = [checked(r, hook) for r in receiver.ok()]
    assert [b["data"]["room"]["closedAt"] for b in bodies] == [first["closedAt"], second["room"]["closedAt"]]
    for body in bodies:
        assert body["type"] == "room.closed" and body["data"]["room"]["_id"] == room["_id"]
        assert body["data"]["room"]["status"] == "closed"
        assert body["data"]["closedBy"] == {"userId": staff_id, "userType": "staff", "name": "Alice"}


async def test_guest_updated_for_every_room_whose_details_change(
    connect, base_url, business, other_business, staff_token, receiver
):
    hook = await register(base_url, staff_token, business, receiver.url, ["guest.updated"])
    other = await Receiver().start()
    try:
        other_token = make_token("staff", "Olga", other_business)
        other_hook = await register(base_url, other_token, other_business, other.url, ["guest.updated"])
        guest = await connect()
        room = await join(guest, business)
        other_room = await join(guest, other_business)
        info = {"email": "Jane.Doe@Example.com", "phone": "+33 6 12 34 56 78", "userName": "Jane"}
        await guest.call("chat:update-guest-info", info)
        await guest.call("chat:update-guest-info", info)  # nothing changes: no event
        await guest.call("chat:update-guest-info", {"phone": "+44 20 7946 0958"})
        await receiver.wait_until(lambda: len(receiver.ok()) >= 2)
        await other.wait_until(lambda: len(other.ok()) >= 2)
        assert len(receiver.requests) == 2 and len(other.requests) == 2
        for requests, webhook, room_id in (
            (receiver.ok(), hook, room["_id"]),
            (other.ok(), other_hook, other_room["_id"]),
        ):
            bodies = [checked(r, webhook) for r in requests]
            rooms = [b["data"]["room"] for b in bodies]
            assert {b["type"] for b in bodies} == {"guest.updated"} and {r["_id"] for r in rooms} == {room_id}
            assert rooms[0]["roomName"] == "Chat with Jane" and rooms[0]["metadata"]["userName"] == "Jane"
            assert [r["metadata"]["guestInfo"]["email"] for r in rooms] == ["jane.doe@example.com"] * 2
            assert [r["metadata"]["guestInfo"]["phone"] for r in rooms] == ["+33612345678", "+442079460958"]
    finally:
        await other.close()


async def test_guest_updated_for_a_customer(connect, base_url, business, staff_token, receiver):
    hook = await register(base_url, staff_token, business, receiver.url, ["guest.updated"])
    customer = await connect(token=make_token("customer", "Carol"))
    room = await join(customer, business, "Carol")
    await customer.call("chat:update-guest-info", {"email": "carol@example.com"})
    await receiver.wait_until(lambda: len(receiver.ok()) >= 1)
    body = checked(receiver.ok()[0], hook)
    assert body["data"]["room"]["_id"] == room["_id"]
    assert body["data"]["room"]["metadata"]["customerInfo"]["email"] == "carol@example.com"


async def test_guest_converted_once_then_updated(connect, runtime, base_url, business, staff_token, receiver):
    hook = await register(base_url, staff_token, business, receiver.url, ["guest.converted", "guest.updated"])
    guest = await connect()
    room = await join(guest, business, "Dana")
    path = f"/api/chat/rooms/{room['_id']}/convert-guest"
    status, conversion = await api(base_url, "POST", path, token=staff_token, body={"email": "Dana@Example.com"})
    assert status == 200
    assert (await api(base_url, "POST", path, token=staff_token, body={"email": "dana@example.com"}))[0] == 200
    status, _ = await api(
        base_url, "POST", path, token=staff_token, body={"email": "dana@example.com", "phone": "+44 20 7946 0958"}
    )
    assert status == 200
    await receiver.wait_until(lambda: len(receiver.ok()) >= 2)
    assert len(receiver.requests) == 2, "the idempotent repeat sent nothing"
    converted, updated = (checked(r, hook) for r in receiver.ok())
    assert converted["type"] == "guest.converted" and updated["type"] == "guest.updated"
    contact = conversion["contact"]
    assert converted["data"]["guestId"] == room["metadata"]["guestInfo"]["guestId"]
    assert converted["data"]["customerId"] == contact["_id"] and converted["data"]["contact"] == contact
    assert converted["data"]["room"]["metadata"]["customerId"] == contact["_id"]
    assert converted["data"]["room"]["metadata"]["guestInfo"]["email"] == "dana@example.com"
    assert updated["data"]["room"]["metadata"]["guestInfo"]["phone"] == "+442079460958"

    # the conversation ends (archived); the guest's next room is linked to the contact at once
    async with runtime.store.engine.begin() as conn:
        await conn.execute(update(RoomRow).where(RoomRow.id == room["_id"]).values(is_active=False))
    fresh = await join(guest, business, "Dana")
    await receiver.wait_until(lambda: len(receiver.ok()) >= 3)
    linked = checked(receiver.ok()[2], hook)
    assert linked["type"] == "guest.converted" and linked["data"]["room"]["_id"] == fresh["_id"]
    assert linked["data"]["customerId"] == contact["_id"]


Change = Callable[[Any, str, dict[str, Any], str], Awaitable[tuple[bool, dict[str, Any]]]]


async def close_by_event(connect: Any, base_url: str, room: dict[str, Any], token: str) -> tuple[bool, dict[str, Any]]:
    staff = await connect(token=token)
    frame = await staff.request("chat:close-room", {"roomId": room["_id"]})
    return "error" not in frame, frame


async def close_by_rest(connect: Any, base_url: str, room: dict[str, Any], token: str) -> tuple[bool, dict[str, Any]]:
    status, body = await api(
        base_url, "PATCH", f"/api/chat/rooms/{room['_id']}", token=token, body={"status": "closed"}
    )
    return status == 200, body


async def convert(connect: Any, base_url: str, room: dict[str, Any], token: str) -> tuple[bool, dict[str, Any]]:
    path = f"/api/chat/rooms/{room['_id']}/convert-guest"
    status, body = await api(base_url, "POST", path, token=token, body={"email": "rolled@example.com"})
    return status == 200, body


CHANGES = {
    "room.closed (chat:close-room)": ("room.closed", close_by_event),
    "room.closed (PATCH)": ("room.closed", close_by_rest),
    "guest.converted": ("guest.converted", convert),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_change_that_rolls_back_writes_no_event(
    change, connect, runtime, base_url, business, staff_token, receiver, monkeypatch
):
    """The transaction fails after the event was written (a stand-in for any failure between
    the event and the commit): the room is unchanged and no event exists or arrives. The same
    change then succeeds and its event is the only one delivered."""
    event_type, make_change = CHANGES[change]
    hook = await register(base_url, staff_token, business, receiver.url, [event_type])
    guest = await connect()
    room = await join(guest, business)
    real_write = business_sql.write_outbox

    async def write_then_fail(session: Any, events: Any, **kwargs: Any) -> bool:
        await real_write(session, events, **kwargs)
        raise RuntimeError("injected failure before the commit")

    monkeypatch.setattr(business_sql, "write_outbox", write_then_fail)
    ok, reply = await make_change(connect, base_url, room, staff_token)
    assert not ok and "internal" in json.dumps(reply), reply
    async with runtime.store.engine.connect() as conn:
        count = select(func.count()).select_from(WebhookEventRow).where(WebhookEventRow.type == event_type)
        assert (await conn.execute(count)).scalar_one() == 0
    unchanged = await runtime.store.get_room(room["_id"])
    assert unchanged is not None and unchanged.status == "open" and unchanged.customer_id is None

    monkeypatch.setattr(business_sql, "write_outbox", real_write)
    ok, reply = await make_change(connect, base_url, room, staff_token)
    assert ok, reply
    await receiver.wait_until(lambda: len(receiver.ok()) >= 1)
    assert len(receiver.requests) == 1
    assert checked(receiver.ok()[0], hook)["data"]["room"]["_id"] == room["_id"]


async def test_update_guest_info_that_rolls_back_writes_no_event(
    connect, runtime, base_url, business, staff_token, receiver, monkeypatch
):
    hook = await register(base_url, staff_token, business, receiver.url, ["guest.updated"])
    guest = await connect()
    room = await join(guest, business)
    real_write = business_sql.write_outbox

    async def write_then_fail(session: Any, events: Any, **kwargs: Any) -> bool:
        await real_write(session, events, **kwargs)
        raise RuntimeError("injected failure before the commit")

    monkeypatch.setattr(business_sql, "write_outbox", write_then_fail)
    frame = await guest.request("chat:update-guest-info", {"email": "lost@example.com"})
    assert frame["error"]["code"] == "internal"
    async with runtime.store.engine.connect() as conn:
        count = select(func.count()).select_from(WebhookEventRow).where(WebhookEventRow.type == "guest.updated")
        assert (await conn.execute(count)).scalar_one() == 0
    unchanged = await runtime.store.get_room(room["_id"])
    assert unchanged is not None and unchanged.email is None

    monkeypatch.setattr(business_sql, "write_outbox", real_write)
    await guest.call("chat:update-guest-info", {"email": "kept@example.com"})
    await receiver.wait_until(lambda: len(receiver.ok()) >= 1)
    assert len(receiver.requests) == 1
    assert checked(receiver.ok()[0], hook)["data"]["room"]["metadata"]["guestInfo"]["email"] == "kept@example.com"
