"""Satisfaction ratings (CSAT, issue 17: ``chat:rate``) over real sockets, on SQLite and
PostgreSQL: the visitor rates a closed room, staff see the rating live, a rating again in the
same closure replaces it, a reopen and a new close start a new one (the earlier one still
counted); open rooms, staff, other visitors and bad scores or comments are refused; each
rating writes ``room.rated``; the analytics count ratings by when they were given."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from chatserver.adapters.sql.models import RoomRatingRow, WebhookEventRow
from tests.conftest import make_token
from tests.rest import api

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest.fixture
def overrides() -> dict[str, Any]:
    # webhooks to a loopback URL that is never called: events are only recorded
    return {"webhook_allow_private_networks": True, "webhook_concurrency": 0}


async def guest_in(connect, business: str, name: str = "Pat") -> tuple[Any, dict[str, Any]]:
    client = await connect()
    room = (await client.call("chat:join-room", {"businessId": business, "userName": name}))["room"]
    return client, room


async def closed_room(connect, business: str, staff_token: str) -> tuple[Any, Any, dict[str, Any]]:
    """A guest's room that staff closed; returns (guest, staff, room)."""
    guest, room = await guest_in(connect, business)
    staff = await connect(token=staff_token)
    await staff.call("chat:close-room", {"roomId": room["_id"]})
    await guest.wait_for("chat:room-status", roomId=room["_id"], status="closed")
    return guest, staff, room


async def test_a_rating_after_the_close_is_acked_and_staff_see_it(runtime, connect, business, staff_token):
    assert (await guest_in(connect, business))[1]["rating"] is None
    guest, staff, room = await closed_room(connect, business, staff_token)
    acked = (await guest.call("chat:rate", {"roomId": room["_id"], "score": 4, "comment": "  Quick, thanks  "}))["room"]
    rating = acked["rating"]
    assert rating == {"score": 4, "comment": "Quick, thanks", "ratedAt": rating["ratedAt"]}
    assert rating["ratedAt"].endswith("Z") and acked["status"] == "closed"

    pushed = (await staff.wait_for("chat:room-updated", roomId=room["_id"], rating=rating))["data"]
    assert pushed["status"] == "closed"
    joined = (await staff.call("chat:join-room", {"roomId": room["_id"]}))["room"]
    assert joined["rating"] == rating


async def test_a_customer_rates_too_and_a_comment_is_optional(runtime, connect, business, staff_token):
    carol = await connect(token=make_token("customer", "Carol", sub="cust-7"))
    room = (await carol.call("chat:join-room", {"businessId": business, "userName": "Carol"}))["room"]
    staff = await connect(token=staff_token)
    await staff.call("chat:close-room", {"roomId": room["_id"]})
    for comment in ({}, {"comment": None}, {"comment": "   "}):
        rated = (await carol.call("chat:rate", {"roomId": room["_id"], "score": 5, **comment}))["room"]
        assert rated["rating"]["score"] == 5 and rated["rating"]["comment"] is None


async def test_a_new_rating_in_the_same_closure_replaces_the_earlier_one(runtime, connect, business, staff_token):
    guest, _staff, room = await closed_room(connect, business, staff_token)
    await guest.call("chat:rate", {"roomId": room["_id"], "score": 2, "comment": "meh"})
    again = (await guest.call("chat:rate", {"roomId": room["_id"], "score": 5}))["room"]
    assert again["rating"]["score"] == 5 and again["rating"]["comment"] is None
    stored = await ratings_of(runtime, room["_id"])
    assert [(r.score, r.comment) for r in stored] == [(5, None)]


async def test_a_reopen_and_a_new_close_start_a_new_rating(runtime, connect, business, staff_token):
    guest, staff, room = await closed_room(connect, business, staff_token)
    await guest.call("chat:rate", {"roomId": room["_id"], "score": 1, "comment": "first closure"})
    reopened = (await staff.call("chat:reopen-room", {"roomId": room["_id"]}))["room"]
    assert reopened["rating"] is None
    refused = await guest.request("chat:rate", {"roomId": room["_id"], "score": 3})
    assert refused["error"]["code"] == "invalid_payload" and refused["error"]["field"] == "roomId"

    closed = (await staff.call("chat:close-room", {"roomId": room["_id"]}))["room"]
    assert closed["rating"] is None, "the new closure is unrated"
    rated = (await guest.call("chat:rate", {"roomId": room["_id"], "score": 4}))["room"]
    assert rated["rating"]["score"] == 4
    stored = await ratings_of(runtime, room["_id"])
    assert sorted((r.score, r.comment) for r in stored) == [(1, "first closure"), (4, None)]
    assert len({r.closed_at for r in stored}) == 2

    # the visitor's message reopens the room: its rating is left behind too
    await guest.call("chat:send-message", {"roomId": room["_id"], "content": "one more thing"})
    fetched = await runtime.store.get_room(room["_id"])
    assert fetched is not None and fetched.status == "open"
    status_room = (await staff.call("chat:join-room", {"roomId": room["_id"]}))["room"]
    assert status_room["rating"] is None


async def test_an_open_room_cannot_be_rated(runtime, connect, business):
    guest, room = await guest_in(connect, business)
    refused = await guest.request("chat:rate", {"roomId": room["_id"], "score": 5})
    assert refused["error"] == {
        "code": "invalid_payload",
        "message": "only a closed conversation can be rated",
        "field": "roomId",
    }
    assert await ratings_of(runtime, room["_id"]) == []


async def test_staff_and_other_visitors_cannot_rate(runtime, connect, business, other_business, staff_token):
    guest, staff, room = await closed_room(connect, business, staff_token)
    refused = await staff.request("chat:rate", {"roomId": room["_id"], "score": 5})
    assert refused["error"]["code"] == "forbidden" and refused["error"]["field"] == "roomId"

    other, _ = await guest_in(connect, business, "Other")
    refused = await other.request("chat:rate", {"roomId": room["_id"], "score": 1})
    assert refused["error"]["code"] in {"forbidden", "not_found"}
    customer = await connect(token=make_token("customer", "Eve", sub="cust-eve"))
    refused = await customer.request("chat:rate", {"roomId": room["_id"], "score": 1})
    assert refused["error"]["code"] in {"forbidden", "not_found"}
    other_staff = await connect(token=make_token("staff", "Olga", other_business))
    refused = await other_staff.request("chat:rate", {"roomId": room["_id"], "score": 1})
    assert refused["error"]["code"] == "forbidden"
    missing = await guest.request("chat:rate", {"roomId": "no-such-room", "score": 1})
    assert missing["error"]["code"] in {"forbidden", "not_found"}
    assert await ratings_of(runtime, room["_id"]) == []


@pytest.mark.parametrize("score", [0, 6, 2.5, "5", True, None, -1, 5.0])
async def test_a_score_that_is_no_integer_from_1_to_5_is_refused(runtime, connect, business, staff_token, score):
    guest, _, room = await closed_room(connect, business, staff_token)
    refused = await guest.request("chat:rate", {"roomId": room["_id"], "score": score})
    assert refused["error"]["code"] == "invalid_payload" and refused["error"]["field"] == "score", refused
    missing = await guest.request("chat:rate", {"roomId": room["_id"]})
    assert missing["error"]["code"] == "invalid_payload" and missing["error"]["field"] == "score"


async def test_a_comment_over_1000_characters_is_refused(runtime, connect, business, staff_token):
    guest, _, room = await closed_room(connect, business, staff_token)
    refused = await guest.request("chat:rate", {"roomId": room["_id"], "score": 3, "comment": "x" * 1001})
    assert refused["error"]["code"] == "invalid_payload" and refused["error"]["field"] == "comment"
    refused = await guest.request("chat:rate", {"roomId": room["_id"], "score": 3, "comment": 42})
    assert refused["error"]["field"] == "comment"
    rated = (await guest.call("chat:rate", {"roomId": room["_id"], "score": 3, "comment": "y" * 1000}))["room"]
    assert rated["rating"]["comment"] == "y" * 1000


async def test_each_rating_writes_a_room_rated_webhook_event(runtime, connect, business, staff_token):
    await runtime.webhooks.create(business, "http://127.0.0.1:9/hook", None, created_by="test")
    guest, _, room = await closed_room(connect, business, staff_token)
    acked = (await guest.call("chat:rate", {"roomId": room["_id"], "score": 4, "comment": "nice"}))["room"]
    await guest.call("chat:rate", {"roomId": room["_id"], "score": 5, "comment": "very nice"})
    refused = await guest.request("chat:rate", {"roomId": room["_id"], "score": 9})
    assert "error" in refused
    async with runtime.store.engine.connect() as conn:
        found = (
            await conn.execute(
                select(WebhookEventRow.type, WebhookEventRow.order_key, WebhookEventRow.body)
                .where(WebhookEventRow.type == "room.rated")
                .order_by(WebhookEventRow.seq)
            )
        ).all()
    assert [(kind, key) for kind, key, _ in found] == [("room.rated", f"room:{room['_id']}")] * 2
    first, second = (json.loads(body) for _, _, body in found)
    assert first["businessId"] == business and first["type"] == "room.rated"
    assert first["data"]["room"] == acked and first["data"]["rating"] == acked["rating"]
    assert second["data"]["rating"]["score"] == 5 and second["data"]["rating"]["comment"] == "very nice"


async def test_analytics_count_the_ratings_given_in_the_window(
    runtime, base_url, connect, business, other_business, staff_token
):
    store = runtime.store

    async def rated(business_id: str, name: str, closures: list[tuple[int, int]]) -> None:
        """A room closed and rated once per (score, rated time)."""
        _guest, room = await guest_in(connect, business_id, name)
        for score, at in closures:
            await store.set_room_status(room["_id"], "closed", at - 1000)
            assert await store.rate_room(room["_id"], score, None, at) is not None
            await store.set_room_status(room["_id"], "open", at + 1000)

    await rated(business, "A", [(5, T0 + 10), (3, T0 + DAY + 10)])  # two closures, both in the window
    await rated(business, "B", [(4, T0 + DAY - 1)])  # the window's last ms of Jan 1
    await rated(business, "C", [(1, T0 - 1)])  # before the window
    await rated(business, "D", [(2, T0 + 2 * DAY)])  # at `to`: outside
    await rated(other_business, "E", [(1, T0 + 10)])  # another business
    # a rating replaced within its closure counts once, with its last score
    _guest, room = await guest_in(connect, business, "F")
    await store.set_room_status(room["_id"], "closed", T0 + 100)
    await store.rate_room(room["_id"], 1, "bad", T0 + 200)
    await store.rate_room(room["_id"], 4, "ok after all", T0 + 300)

    query = f"/api/chat/analytics?businessId={business}&from=2026-01-01&to=2026-01-03"
    status, report = await api(base_url, "GET", query, token=staff_token)
    assert status == 200, report
    assert report["csat"] == {
        "responses": 4,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 2, "5": 1},
    }
    status, day_two = await api(
        base_url, "GET", f"/api/chat/analytics?businessId={business}&from=2026-01-02&to=2026-01-03", token=staff_token
    )
    assert day_two["csat"] == {"responses": 1, "average": 3.0, "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 0}}
    status, empty = await api(
        base_url, "GET", f"/api/chat/analytics?businessId={business}&from=2025-06-01&to=2025-06-02", token=staff_token
    )
    assert empty["csat"] == {"responses": 0, "average": None, "distribution": {str(s): 0 for s in range(1, 6)}}


async def ratings_of(runtime, room_id: str) -> list[Any]:
    async with runtime.store.engine.connect() as conn:
        return list((await conn.execute(select(RoomRatingRow).where(RoomRatingRow.room_id == room_id))).all())
