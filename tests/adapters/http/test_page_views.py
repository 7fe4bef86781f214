"""The visitor's current page (issue 17, ``chat:page-view``) over real sockets, on SQLite and
PostgreSQL: staff see it live (``currentPage``), every room object carries the newest 20
(``metadata.pageViews``), query and fragment are dropped unless the business keeps them, one a
second per connection, visitors only and only for their own rooms, absolute http(s) URLs only,
and erasing the guest removes them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import make_token
from tests.rest import api


async def guest_in(connect, business: str, **query: str) -> tuple[Any, dict[str, Any]]:
    client = await connect(**query)
    room = (await client.call("chat:join-room", {"businessId": business, "userName": "Pat"}))["room"]
    return client, room


def unthrottled(runtime) -> list[int]:
    """The page-view throttle's clock, moved by the test: each view a second after the last."""
    now = [1_800_000_000_000]
    runtime.gateway.workflow.clock = lambda: now[0]
    return now


async def test_staff_see_the_visitors_page_live_and_in_every_room_object(
    runtime, base_url, connect, business, staff_token
):
    staff = await connect(token=staff_token)
    guest, room = await guest_in(connect, business)
    room_id = room["_id"]
    assert "pageViews" not in room["metadata"]

    page = {"url": "https://shop.example/pricing?plan=pro#faq", "title": "  Pricing\x07 \n plans  "}
    assert await guest.call("chat:page-view", page) == {"roomIds": [room_id]}

    pushed = (await staff.wait_for("chat:room-updated", roomId=room_id))["data"]
    current = pushed["currentPage"]
    assert current == {"url": "https://shop.example/pricing", "title": "Pricing plans", "at": current["at"]}
    assert current["at"].endswith("Z") and current["at"][10] == "T"
    assert pushed["metadata"]["pageViews"] == [current]

    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room_id}", token=staff_token)
    assert status == 200 and body["room"]["metadata"]["pageViews"] == [current]
    status, listed = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", token=staff_token)
    assert status == 200
    assert [r["metadata"]["pageViews"] for r in listed["rooms"] if r["_id"] == room_id] == [[current]]
    joined = (await staff.call("chat:join-room", {"roomId": room_id}))["room"]
    assert joined["metadata"]["pageViews"] == [current]


async def test_an_empty_title_is_null_and_the_room_can_be_named(runtime, connect, business, staff_token):
    staff = await connect(token=staff_token)
    guest, room = await guest_in(connect, business)
    data = {"url": "http://shop.example:8080/a/b", "title": " \t ", "roomId": room["_id"]}
    assert await guest.call("chat:page-view", data) == {"roomIds": [room["_id"]]}
    pushed = (await staff.wait_for("chat:room-updated", roomId=room["_id"]))["data"]
    assert pushed["currentPage"]["title"] is None and pushed["currentPage"]["url"] == "http://shop.example:8080/a/b"


async def test_a_room_keeps_the_newest_twenty_newest_last(runtime, connect, business):
    now = unthrottled(runtime)
    guest, room = await guest_in(connect, business)
    for i in range(1, 26):
        now[0] += 1000
        await guest.call("chat:page-view", {"url": f"https://shop.example/p/{i}", "title": f"Page {i}"})
    views = (await guest.call("chat:join-room", {"roomId": room["_id"]}))["room"]["metadata"]["pageViews"]
    assert [v["url"] for v in views] == [f"https://shop.example/p/{i}" for i in range(6, 26)]
    assert [v["title"] for v in views][-1] == "Page 25"
    assert [v["at"] for v in views] == sorted(v["at"] for v in views)
    again = (await guest.call("chat:join-room", {"businessId": business, "userName": "Pat"}))["room"]
    assert again["_id"] == room["_id"] and again["metadata"]["pageViews"] == views


async def test_query_and_fragment_are_kept_only_when_the_business_says_so(
    runtime, base_url, connect, business, staff_token
):
    now = unthrottled(runtime)
    path = f"/api/businesses/{business}/settings"
    status, settings = await api(base_url, "GET", path, token=staff_token)
    assert status == 200 and settings["keepPageQuery"] is False
    status, refused = await api(base_url, "PUT", path, token=staff_token, body={"keepPageQuery": "yes"})
    assert status == 400 and refused["error"]["code"] == "invalid_payload"
    assert refused["error"]["field"] == "keepPageQuery"

    guest, room = await guest_in(connect, business)
    url = "https://shop.example/search?q=red+shoes&utm_source=mail#results"
    await guest.call("chat:page-view", {"url": url})
    status, saved = await api(base_url, "PUT", path, token=staff_token, body={"keepPageQuery": True})
    assert status == 200 and saved["keepPageQuery"] is True
    status, settings = await api(base_url, "GET", path, token=staff_token)
    assert settings["keepPageQuery"] is True
    now[0] += 1000
    await guest.call("chat:page-view", {"url": url})
    views = (await guest.call("chat:join-room", {"roomId": room["_id"]}))["room"]["metadata"]["pageViews"]
    assert [v["url"] for v in views] == ["https://shop.example/search", url]


async def test_one_page_view_a_second_per_connection(runtime, connect, business):
    now = unthrottled(runtime)
    guest, room = await guest_in(connect, business)
    await guest.call("chat:page-view", {"url": "https://shop.example/one"})
    now[0] += 400
    refused = await guest.request("chat:page-view", {"url": "https://shop.example/two"})
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["retryAfterMs"] == 600
    now[0] += 600
    await guest.call("chat:page-view", {"url": "https://shop.example/three"})
    views = (await guest.call("chat:join-room", {"roomId": room["_id"]}))["room"]["metadata"]["pageViews"]
    assert [v["url"] for v in views] == ["https://shop.example/one", "https://shop.example/three"]


async def test_the_real_clock_refuses_a_second_view_at_once(connect, business):
    guest, _ = await guest_in(connect, business)
    await guest.call("chat:page-view", {"url": "https://shop.example/one"})
    refused = await guest.request("chat:page-view", {"url": "https://shop.example/two"})
    assert refused["error"]["code"] == "rate_limited" and 0 < refused["error"]["retryAfterMs"] <= 1000


async def test_staff_may_not_report_a_page(connect, business, staff_token):
    _, room = await guest_in(connect, business)
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room["_id"]})
    for data in ({"url": "https://shop.example/"}, {"url": "https://shop.example/", "roomId": room["_id"]}):
        refused = await staff.request("chat:page-view", data)
        assert refused["error"]["code"] == "forbidden"


async def test_another_visitors_room_is_forbidden(connect, business):
    _, room = await guest_in(connect, business)
    intruder, _ = await guest_in(connect, business)
    refused = await intruder.request("chat:page-view", {"url": "https://shop.example/", "roomId": room["_id"]})
    assert refused["error"] == {**refused["error"], "code": "forbidden", "field": "roomId"}
    customer = await connect(token=make_token("customer", "Carl"))
    refused = await customer.request("chat:page-view", {"url": "https://shop.example/", "roomId": room["_id"]})
    assert refused["error"]["code"] == "forbidden"


async def test_a_connection_following_no_room_has_nowhere_to_put_it(connect):
    guest = await connect()
    refused = await guest.request("chat:page-view", {"url": "https://shop.example/"})
    assert refused["error"] == {**refused["error"], "code": "not_found", "field": "roomId"}


@pytest.mark.parametrize(
    "url",
    [
        "/pricing",
        "shop.example/pricing",
        "javascript:alert(1)",
        "JavaScript://shop.example/%0aalert(1)",
        "ftp://shop.example/file",
        "data:text/html,<b>hi</b>",
        "https:///no-host",
        "https://shop.example/a b",
        "https://shop.example:99999/",
        "https://shop.example/" + "a" * 2048,
        "",
    ],
)
async def test_only_absolute_http_urls_are_accepted(connect, business, url):
    guest, room = await guest_in(connect, business)
    refused = await guest.request("chat:page-view", {"url": url})
    assert refused["error"] == {**refused["error"], "code": "invalid_payload", "field": "url"}
    assert "pageViews" not in (await guest.call("chat:join-room", {"roomId": room["_id"]}))["room"]["metadata"]


async def test_a_long_title_is_refused(connect, business):
    guest, _ = await guest_in(connect, business)
    refused = await guest.request("chat:page-view", {"url": "https://shop.example/", "title": "t" * 201})
    assert refused["error"] == {**refused["error"], "code": "invalid_payload", "field": "title"}


async def test_concurrent_views_of_one_room_all_land(runtime, connect, business):
    """Several tabs of one visitor (one guest session, one room): the read-modify-write of the
    room's list holds the row, so no view overwrites another."""
    first, room = await guest_in(connect, business)
    session_id = first.frames[0]["data"]["sessionId"]
    tabs = [first]
    for _ in range(5):
        tab, same = await guest_in(connect, business, sessionId=session_id)
        assert same["_id"] == room["_id"]
        tabs.append(tab)
    urls = [f"https://shop.example/tab/{i}" for i in range(len(tabs))]
    await asyncio.gather(*(tab.call("chat:page-view", {"url": url}) for tab, url in zip(tabs, urls, strict=True)))
    views = (await first.call("chat:join-room", {"roomId": room["_id"]}))["room"]["metadata"]["pageViews"]
    assert sorted(v["url"] for v in views) == sorted(urls)


async def test_erasing_the_guest_removes_the_pages(runtime, base_url, connect, business, staff_token):
    guest, room = await guest_in(connect, business)
    guest_id = guest.frames[0]["data"]["guestId"]
    await guest.call("chat:page-view", {"url": "https://shop.example/private"})
    status, exported = await api(
        base_url, "GET", f"/api/businesses/{business}/guests/{guest_id}/export", token=staff_token
    )
    assert status == 200 and exported["rooms"][0]["metadata"]["pageViews"][0]["url"] == "https://shop.example/private"
    status, _ = await api(base_url, "DELETE", f"/api/businesses/{business}/guests/{guest_id}", token=staff_token)
    assert status in (200, 204)
    status, _ = await api(base_url, "GET", f"/api/chat/rooms/{room['_id']}", token=staff_token)
    assert status == 404
    async with runtime.store.engine.connect() as conn:
        stored = text("SELECT count(*) FROM rooms WHERE CAST(extra AS TEXT) LIKE '%shop.example/private%'")
        leftover = (await conn.execute(stored)).scalar()
    assert leftover == 0


async def test_page_views_and_messages_of_one_room_at_the_same_time(runtime, connect, business, staff_token):
    """The room's row is written by the send path (its head, unread counts) and by page views
    (its extras) at once: neither fails nor undoes the other."""
    first, room = await guest_in(connect, business)
    session_id = first.frames[0]["data"]["sessionId"]
    tabs = [first] + [(await guest_in(connect, business, sessionId=session_id))[0] for _ in range(3)]
    staff = await connect(token=staff_token)
    await staff.call("chat:join-room", {"roomId": room["_id"]})
    urls = [f"https://shop.example/busy/{i}" for i in range(len(tabs))]
    views = [tab.call("chat:page-view", {"url": url}) for tab, url in zip(tabs, urls, strict=True)]
    sends = [staff.call("chat:send-message", {"roomId": room["_id"], "content": f"reply {i}"}) for i in range(10)]
    await asyncio.gather(*views, *sends)
    joined = (await first.call("chat:join-room", {"roomId": room["_id"]}))["room"]
    assert sorted(v["url"] for v in joined["metadata"]["pageViews"]) == sorted(urls)
    assert joined["lastSeq"] == 10 and joined["visitorUnreadCount"] == 10
