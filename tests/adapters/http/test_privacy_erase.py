"""Data-subject erasure (issue 16): after ``DELETE .../guests/{id}`` no row of any table holds the
guest's id, email, phone, user agent or message text (every table and column scanned through
reflection, none listed by hand); the old ``sessionId`` resumes nothing; the guest's open
connection is closed with 4410 and staff get ``chat:room-deleted``; analytics keep their counts;
the ``guest.erased`` webhook event carries ids only; a repeat is 404, and so is a visitor of
another business. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.domain.clock import now_ms
from tests.conftest import make_token
from tests.rest import api

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
ERASED_EVENTS = {"guest.erased", "customer.erased"}


@pytest.fixture
def overrides() -> dict[str, Any]:
    # webhooks to a loopback URL that is never called: events and deliveries are only recorded
    return {"webhook_allow_private_networks": True, "webhook_concurrency": 0}


async def guest_in(connect, business: str, name: str, ua: str, **extra: Any) -> tuple[Any, str, str, dict[str, Any]]:
    client = await connect(headers={"User-Agent": ua})
    first = client.frames[0]["data"]
    room = (await client.call("chat:join-room", {"businessId": business, "userName": name, **extra}))["room"]
    return client, first["guestId"], first["sessionId"], room


async def say(client, room_id: str, text: str) -> None:
    await client.call("chat:send-message", {"roomId": room_id, "content": text})


async def erase(base_url: str, business: str, token: str | None, kind: str, subject_id: str) -> tuple[int, Any]:
    return await api(base_url, "DELETE", f"/api/businesses/{business}/{kind}/{subject_id}", token=token)


async def every_row(runtime) -> list[tuple[str, dict[str, Any]]]:
    """(table, row) for every row of every table the database has, found by reflection."""
    async with runtime.store.engine.connect() as conn:
        metadata = MetaData()
        await conn.run_sync(metadata.reflect)
        assert {"rooms", "messages", "guest_sessions", "contacts", "webhook_events"} <= set(metadata.tables)
        found = []
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).mappings():
                found.append((table.name, dict(row)))
        return found


def holding(rows: list[tuple[str, dict[str, Any]]], needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) wherever a text or JSON value holds a needle, case-insensitively."""
    hits = []
    for table, row in rows:
        for column, value in row.items():
            if isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False)
            if not isinstance(value, str):
                continue
            hits.extend((table, column, needle) for needle in needles if needle.lower() in value.lower())
    return hits


def analytics_path(business: str, start: int, end: int) -> str:
    return f"/api/chat/analytics?businessId={business}&from={start}&to={end}&bucket=day"


async def test_erased_guest_leaves_no_trace_and_is_disconnected(runtime, base_url, connect, business, staff_token):
    started = now_ms() - 1000
    await runtime.webhooks.create(business, "http://127.0.0.1:9/hook", None, created_by="test")
    anna, anna_id, anna_session, room = await guest_in(connect, business, "Anna Q", FIREFOX, email="Anna@Example.com")
    await say(anna, room["_id"], "my order 1234 is late")
    await say(anna, room["_id"], "please call me")
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room["_id"]})
    await say(staff, room["_id"], "staff reply 7781")
    status, converted = await api(
        base_url,
        "POST",
        f"/api/chat/rooms/{room['_id']}/convert-guest",
        token=staff_token,
        body={"email": "anna@example.com", "phone": "+44 20 7946 0958"},
    )
    assert status == 200, converted
    # a satisfaction rating of a closure with a comment (issue 17): its text goes, its score stays counted
    await staff.call("chat:close-room", {"roomId": room["_id"]})
    await anna.call("chat:rate", {"roomId": room["_id"], "score": 2, "comment": "slow rating comment 5512"})
    await staff.call("chat:reopen-room", {"roomId": room["_id"]})
    await staff.call("chat:close-room", {"roomId": room["_id"]})
    await anna.call("chat:rate", {"roomId": room["_id"], "score": 5, "comment": "fixed now 6623"})
    bruno, bruno_id, _, bruno_room = await guest_in(connect, business, "Bruno", CHROME, email="bruno@example.com")
    await say(bruno, bruno_room["_id"], "bruno keeps his words")
    await SqlWebhookStore(runtime.store.engine).dispatch(now_ms(), 100)  # events become deliveries

    # the export still reports every item, and the analytics before the erase
    status, exported = await api(
        base_url, "GET", f"/api/businesses/{business}/guests/{anna_id}/export", token=staff_token
    )
    assert status == 200 and [m["content"] for m in exported["messages"]] == [
        "my order 1234 is late",
        "please call me",
        "staff reply 7781",
    ]
    window = analytics_path(business, started, now_ms() + 60_000)
    status, before = await api(base_url, "GET", window, token=staff_token)
    assert status == 200 and before["guestRooms"] == 2
    assert before["csat"] == {"responses": 2, "average": 3.5, "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}

    status, body = await erase(base_url, business, staff_token, "guests", anna_id)
    assert (status, body) == (204, None)

    # live: the guest's connection closes with 4410, staff drop the room
    assert await anna.wait_closed(timeout=5) == 4410
    deleted = await staff.wait_for("chat:room-deleted", roomId=room["_id"])
    assert deleted["data"] == {"roomId": room["_id"]}

    # no row of any table holds anything of Anna
    needles = [
        anna_id,
        "anna@example.com",
        "+442079460958",
        "7946 0958",
        "Anna Q",
        "Firefox 131",
        "my order 1234 is late",
        "please call me",
        "staff reply 7781",
        "slow rating comment 5512",
        "fixed now 6623",
        converted["contact"]["_id"],
        room["_id"],
    ]
    rows = await every_row(runtime)
    erased_events = [row for table, row in rows if table == "webhook_events" and row["type"] in ERASED_EVENTS]
    [event] = erased_events
    assert json.loads(event["body"])["data"] == {"guestId": anna_id, "roomIds": [room["_id"]], "guestIds": [anna_id]}
    kept = [(t, r) for t, r in rows if not (t == "webhook_events" and r["type"] in ERASED_EVENTS)]
    assert holding(kept, needles) == []
    # ... while Bruno's conversation is untouched
    assert holding(kept, [bruno_id, "bruno keeps his words", "bruno@example.com"])

    # analytics count the erased conversation all the same
    status, after = await api(base_url, "GET", window, token=staff_token)
    assert status == 200
    for key in ("guestRooms", "guestRoomsWithEmail", "converted", "messagesBySenderType", "faqAnswers", "csat"):
        assert after[key] == before[key], key
    assert [day["guestRooms"] for day in after["series"]] == [day["guestRooms"] for day in before["series"]]

    # the old sessionId resumes nothing: a new guest, with nothing
    again = await connect(sessionId=anna_session, headers={"User-Agent": FIREFOX})
    registered = again.frames[0]["data"]
    assert registered["resumed"] is False and registered["guestId"] != anna_id
    assert registered["sessionId"] != anna_session

    # a repeat finds nothing: 404, as for a guest who never was
    assert (await erase(base_url, business, staff_token, "guests", anna_id))[0] == 404
    never = await erase(base_url, business, staff_token, "guests", "guest_1_zzzzzzzz")
    assert await erase(base_url, business, staff_token, "guests", anna_id) == never
    assert (await api(base_url, "GET", f"/api/chat/rooms/{room['_id']}", token=staff_token))[0] == 404


async def test_erase_is_for_staff_of_the_business_and_other_businesses_look_absent(
    runtime, base_url, connect, business, other_business, staff_token
):
    anna, anna_id, _, room = await guest_in(connect, business, "Anna", FIREFOX)
    await say(anna, room["_id"], "hello acme")
    _, gus_id, _, gus_room = await guest_in(connect, other_business, "Gus", CHROME)
    assert (await erase(base_url, business, None, "guests", anna_id))[0] == 401
    other_staff = make_token("staff", "Olga", other_business)
    assert (await erase(base_url, business, other_staff, "guests", anna_id))[0] == 403
    assert (await erase(base_url, business, make_token("customer", "Carol"), "guests", anna_id))[0] == 403
    # a guest of another business: the same 404 as nobody, and nothing of theirs touched
    status, body = await erase(base_url, business, staff_token, "guests", gus_id)
    assert status == 404 and body["error"]["code"] == "not_found"
    assert await runtime.store.get_room(gus_room["_id"]) is not None
    assert (await erase(base_url, business, staff_token, "guests", "g" * 41))[0] == 400
    assert (await erase(base_url, business, staff_token, "customers", "nobody-here"))[0] == 404
    # Anna is still there for her own business
    assert await runtime.store.get_room(room["_id"]) is not None


async def test_customer_erase_by_token_subject_closes_them_and_keeps_others(
    runtime, base_url, connect, business, staff_token
):
    carol = await connect(token=make_token("customer", "Carol", sub="cust-42"))
    room = (await carol.call("chat:join-room", {"businessId": business, "userName": "Carol", "email": "c@ex.com"}))[
        "room"
    ]
    await say(carol, room["_id"], "carol's private words")
    dave = await connect(token=make_token("customer", "Dave", sub="cust-43"))
    dave_room = (await dave.call("chat:join-room", {"businessId": business, "userName": "Dave"}))["room"]
    staff = await connect(token=staff_token)

    status, _ = await erase(base_url, business, staff_token, "customers", "cust-42")
    assert status == 204
    assert await carol.wait_closed(timeout=5) == 4410
    await staff.wait_for("chat:room-deleted", roomId=room["_id"])
    rows = await every_row(runtime)
    kept = [(t, r) for t, r in rows if not (t == "webhook_events" and r["type"] in ERASED_EVENTS)]
    assert holding(kept, ["cust-42", "carol's private words", "c@ex.com", room["_id"]]) == []
    assert await runtime.store.get_room(dave_room["_id"]) is not None
    assert not dave.conn.close_code  # another customer stays connected
    assert (await erase(base_url, business, staff_token, "customers", "cust-42"))[0] == 404


async def test_customer_erase_by_contact_id_erases_the_converted_guest(
    runtime, base_url, connect, business, staff_token
):
    dana, dana_id, dana_session, room = await guest_in(connect, business, "Dana", FIREFOX)
    await say(dana, room["_id"], "dana asks")
    status, converted = await api(
        base_url,
        "POST",
        f"/api/chat/rooms/{room['_id']}/convert-guest",
        token=staff_token,
        body={"email": "dana@example.com"},
    )
    assert status == 200
    contact_id = converted["contact"]["_id"]
    assert (await erase(base_url, business, staff_token, "customers", contact_id))[0] == 204
    assert await dana.wait_closed(timeout=5) == 4410  # the converted guest is the customer
    rows = await every_row(runtime)
    assert holding(rows, ["dana@example.com", "dana asks", dana_id, room["_id"]]) == []
    again = await connect(sessionId=dana_session)
    assert again.frames[0]["data"]["resumed"] is False
