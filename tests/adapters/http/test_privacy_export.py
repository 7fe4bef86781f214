"""Data-subject export (issue 16): staff of a business get everything it stores about one guest or
customer — sessions without secrets, rooms, every message, the linked contact, the webhook events
that carried them — and nothing of anyone else; other callers get 401/403, unknown visitors the
same 404 whether they exist elsewhere or not, hostile ids a 400. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from chatserver.adapters.sql.models import WebhookDeliveryRow, WebhookEventRow
from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.domain.clock import now_ms
from tests.conftest import make_token
from tests.rest import api

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"


@pytest.fixture
def overrides() -> dict[str, Any]:
    # webhooks to a loopback URL that is never called: events and deliveries are only recorded
    return {"webhook_allow_private_networks": True, "webhook_concurrency": 0}


async def guest_in(connect, business: str, name: str, **extra: Any) -> tuple[Any, str, dict[str, Any]]:
    client = await connect(headers={"User-Agent": UA})
    guest_id = client.frames[0]["data"]["guestId"]
    room = (await client.call("chat:join-room", {"businessId": business, "userName": name, **extra}))["room"]
    return client, guest_id, room


async def say(client, room_id: str, text: str) -> None:
    await client.call("chat:send-message", {"roomId": room_id, "content": text})


async def export(base_url: str, business: str, token: str | None, kind: str, subject_id: str) -> tuple[int, Any]:
    return await api(base_url, "GET", f"/api/businesses/{business}/{kind}/{subject_id}/export", token=token)


async def events_of(runtime, room_id: str) -> tuple[set[str], set[str]]:
    """The outbox event ids keyed by the room and their delivery ids, read straight from the tables."""
    async with runtime.store.engine.connect() as conn:
        seqs_ids = (
            await conn.execute(
                select(WebhookEventRow.seq, WebhookEventRow.id).where(WebhookEventRow.order_key == f"room:{room_id}")
            )
        ).all()
        deliveries = (
            await conn.execute(
                select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.event_seq.in_([seq for seq, _ in seqs_ids]))
            )
        ).scalars()
        return {event_id for _, event_id in seqs_ids}, set(deliveries)


async def test_guest_export_holds_everything_stored_about_the_guest_and_nothing_else(
    runtime, base_url, connect, business, other_business, staff_token
):
    await runtime.webhooks.create(business, "http://127.0.0.1:9/hook", None, created_by="test")
    anna, anna_id, room = await guest_in(connect, business, "Anna", email="Anna@Example.com")
    await say(anna, room["_id"], "my order 1234 is late")
    await say(anna, room["_id"], "please call me")
    # the page the visitor was on is part of the room (issue 17), so of the export
    page = {"url": "https://shop.example/orders/1234?email=anna@example.com#top", "title": "Order 1234"}
    assert (await anna.call("chat:page-view", page)) == {"roomIds": [room["_id"]]}
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room["_id"]})
    await say(staff, room["_id"], "on it")
    status, converted = await api(
        base_url,
        "POST",
        f"/api/chat/rooms/{room['_id']}/convert-guest",
        token=staff_token,
        body={"email": "anna@example.com", "phone": "+44 20 7946 0958"},
    )
    assert status == 200, converted
    # a rated closure (issue 17), then reopened: the room shows no rating, the export still has it
    await staff.call("chat:close-room", {"roomId": room["_id"]})
    rated = (await anna.call("chat:rate", {"roomId": room["_id"], "score": 3, "comment": "could be faster"}))["room"]
    await staff.call("chat:reopen-room", {"roomId": room["_id"]})
    elsewhere = (await anna.call("chat:join-room", {"businessId": other_business, "userName": "Anna"}))["room"]
    await say(anna, elsewhere["_id"], "a question for Globex")
    bruno, bruno_id, bruno_room = await guest_in(connect, business, "Bruno", email="bruno@example.com")
    await say(bruno, bruno_room["_id"], "bruno's secret text")
    await SqlWebhookStore(runtime.store.engine).dispatch(now_ms(), 100)  # events become deliveries

    status, body = await export(base_url, business, staff_token, "guests", anna_id)
    assert status == 200, body
    assert body["businessId"] == business and body["subject"] == {"type": "guest", "id": anna_id}
    assert body["format"] == 1 and body["exportedAt"].endswith("Z")
    [session] = body["guestSessions"]
    assert session["guestId"] == anna_id and session["userAgent"] == "Firefox 131 on Windows"
    assert set(session) == {"guestId", "userAgent", "createdAt", "lastSeenAt", "expired"}
    [exported_room] = body["rooms"]
    assert exported_room["_id"] == room["_id"]
    guest_info = exported_room["metadata"]["guestInfo"]
    assert guest_info == {"guestId": anna_id, "userAgent": "Firefox 131 on Windows", **guest_info}
    assert (guest_info["email"], guest_info["phone"]) == ("anna@example.com", "+442079460958")
    assert exported_room["metadata"]["customerId"] == converted["contact"]["_id"]
    [viewed] = exported_room["metadata"]["pageViews"]
    assert viewed == {"url": "https://shop.example/orders/1234", "title": "Order 1234", "at": viewed["at"]}
    assert viewed["at"].endswith("Z")
    assert [(m["seq"], m["content"]) for m in body["messages"]] == [
        (1, "my order 1234 is late"),
        (2, "please call me"),
        (3, "on it"),
    ]
    assert body["contacts"] == [converted["contact"]]
    assert exported_room["rating"] is None
    assert body["ratings"] == [
        {
            "roomId": room["_id"],
            "score": 3,
            "comment": "could be faster",
            "closedAt": rated["closedAt"],
            "ratedAt": rated["rating"]["ratedAt"],
        }
    ]
    event_ids, delivery_ids = await events_of(runtime, room["_id"])
    assert len(event_ids) >= 5  # room.created, 3 × message.created, guest.converted
    assert {event["_id"] for event in body["webhookEvents"]} == event_ids
    assert {d["_id"] for event in body["webhookEvents"] for d in event["deliveries"]} == delivery_ids
    assert delivery_ids and all(
        set(event) == {"_id", "type", "createdAt", "dispatchedAt", "deliveries"} for event in body["webhookEvents"]
    )
    # nothing of another guest, nor of the guest's conversation with another business, nor secrets
    text = json.dumps(body)
    for foreign in (bruno_id, bruno_room["_id"], "bruno", elsewhere["_id"], "Globex", other_business):
        assert foreign not in text
    assert "sessionId" not in text and "session_hash" not in text and "secret" not in text


async def test_export_is_for_staff_of_the_business_and_unknown_guests_look_alike(
    runtime, base_url, connect, business, other_business, staff_token
):
    _, anna_id, _ = await guest_in(connect, business, "Anna")
    _, globex_guest, _ = await guest_in(connect, other_business, "Gus")
    assert (await export(base_url, business, None, "guests", anna_id))[0] == 401
    other_staff = make_token("staff", "Olga", other_business)
    status, body = await export(base_url, business, other_staff, "guests", anna_id)
    assert status == 403 and body["error"]["code"] == "forbidden"
    customer = make_token("customer", "Carol")
    assert (await export(base_url, business, customer, "guests", anna_id))[0] == 403
    # a guest of another business and a guest who never existed: the same answer
    exists_elsewhere = await export(base_url, business, staff_token, "guests", globex_guest)
    never_existed = await export(base_url, business, staff_token, "guests", "guest_1_zzzzzzzz")
    assert exists_elsewhere == never_existed
    assert never_existed[0] == 404 and never_existed[1]["error"]["code"] == "not_found"
    assert (await export(base_url, business, staff_token, "customers", "customer-nobody"))[0] == 404


@pytest.mark.parametrize(
    ("kind", "subject_id", "statuses"),
    [
        ("guests", "%00", {400}),
        ("guests", "guest%01x", {400}),
        ("guests", "g" * 41, {400}),
        ("customers", "c" * 129, {400}),
        ("customers", "x" * 20_000, {400}),
        ("guests", "%ff%fe", {400, 404}),  # not UTF-8
        ("guests", "%27%20OR%201%3D1--", {404}),
        ("customers", "%E2%80%AE%F0%9F%98%80", {404}),
    ],
)
async def test_hostile_ids_get_an_error_body_never_a_server_error(
    base_url, business, staff_token, kind, subject_id, statuses
):
    status, body = await export(base_url, business, staff_token, kind, subject_id)
    assert status in statuses, body
    if status in (400, 404):
        assert body["error"]["code"] in ("invalid_payload", "not_found")


async def test_customer_export_by_token_subject_and_by_contact(runtime, base_url, connect, business, staff_token):
    carol = await connect(token=make_token("customer", "Carol", sub="cust-42"))
    room = (await carol.call("chat:join-room", {"businessId": business, "userName": "Carol"}))["room"]
    await say(carol, room["_id"], "hello from carol")
    dana, _, guest_room = await guest_in(connect, business, "Dana")
    await say(dana, guest_room["_id"], "hello from dana")
    status, converted = await api(
        base_url,
        "POST",
        f"/api/chat/rooms/{guest_room['_id']}/convert-guest",
        token=staff_token,
        body={"email": "dana@example.com"},
    )
    assert status == 200

    status, body = await export(base_url, business, staff_token, "customers", "cust-42")
    assert status == 200, body
    assert body["subject"] == {"type": "customer", "id": "cust-42"}
    assert [r["_id"] for r in body["rooms"]] == [room["_id"]]
    assert [m["content"] for m in body["messages"]] == ["hello from carol"]
    assert body["guestSessions"] == [] and body["contacts"] == []
    assert "dana" not in json.dumps(body)

    contact_id = converted["contact"]["_id"]
    status, body = await export(base_url, business, staff_token, "customers", contact_id)
    assert status == 200, body
    assert [r["_id"] for r in body["rooms"]] == [guest_room["_id"]]
    assert [m["content"] for m in body["messages"]] == ["hello from dana"]
    assert [c["_id"] for c in body["contacts"]] == [contact_id]
    assert [s["guestId"] for s in body["guestSessions"]] == [guest_room["metadata"]["guestInfo"]["guestId"]]
    assert "carol" not in json.dumps(body).lower()
