"""The analytics REST API: totals, the median first response and the per-day series (seed:
"Analytics")."""

from __future__ import annotations

from chatserver.domain.models import NewMessage, NewRoom, SenderType
from tests.conftest import make_token
from tests.rest import api


def visitor_room(business_id: str, n: int, guest: bool, email: str | None = None) -> NewRoom:
    """The n-th visitor's room: a guest's, or a customer's (user-n)."""
    return NewRoom(
        business_id=business_id,
        room_name=f"Chat with v{n}",
        user_type="guest" if guest else "customer",
        user_id=None if guest else f"user-{n}",
        user_name=f"v{n}",
        is_guest=guest,
        guest_id=f"guest_{n}" if guest else None,
        user_agent="ua",
        email=email,
        tags=(),
    )


async def test_analytics_counts_and_median_first_response(runtime, base_url, business, other_business, staff_token):
    store = runtime.store

    counter = iter(range(1000))

    def new_room(business_id, guest, email=None):
        return visitor_room(business_id, next(counter), guest, email)

    day = 86_400_000
    t0 = 1_767_225_600_000  # 2026-01-01
    waits = [60_000, 120_000, 600_000]
    rooms = []
    for i, wait in enumerate(waits):
        room = await store.create_room(new_room(business, True, f"g{i}@x.io" if i < 2 else None), t0 + i)
        rooms.append(room)
        await store.append_message(NewMessage(room.id, "g", SenderType.GUEST, "g", True, "hi"), t0 + 1000)
        await store.append_message(
            NewMessage(room.id, "sys", SenderType.SYSTEM, "Acme", False, "faq", "faq:x", "faq1"), t0 + 1001
        )
        await store.append_message(NewMessage(room.id, "s", SenderType.STAFF, "Alice", False, "yo"), t0 + 1000 + wait)
    silent = await store.create_room(new_room(business, True), t0 + 10)
    await store.append_message(NewMessage(silent.id, "g", SenderType.GUEST, "g", True, "hello?"), t0 + 2000)
    customer_room = await store.create_room(new_room(business, False), t0 + 20)
    await store.append_message(NewMessage(customer_room.id, "c", SenderType.CUSTOMER, "c", False, "hello"), t0 + 3000)
    contact, _ = await store.upsert_contact(business, "g0@x.io", None, None, t0 + 5000)
    await store.link_contact(rooms[0].id, contact, t0 + 5000)
    await store.create_room(new_room(other_business, True, "z@x.io"), t0)  # another business
    await store.create_room(new_room(business, True, "late@x.io"), t0 + 3 * day)  # outside the window

    query = f"/api/chat/analytics?businessId={business}&from=2026-01-01T00:00:00Z&to=2026-01-02"
    status, report = await api(base_url, "GET", query, token=staff_token)
    assert status == 200, report
    assert report == {
        **report,
        "guestRooms": 4,
        "guestRoomsWithEmail": 2,
        "emailCaptureRate": 0.5,
        "converted": 1,
        "conversionRate": 0.25,
        "authenticatedRooms": 1,
        "messagesBySenderType": {"guest": 4, "customer": 1, "staff": 3, "system": 3},
        "faqAnswers": 3,
        "roomsWithStaffReply": 3,
        "medianFirstResponseMs": 120_000,
    }
    # an even count of waits: the mean of the middle two
    await store.append_message(
        NewMessage(customer_room.id, "s", SenderType.STAFF, "Alice", False, "hi"), t0 + 3000 + 300_000
    )
    _, report = await api(base_url, "GET", query, token=staff_token)
    assert report["medianFirstResponseMs"] == 210_000 and report["roomsWithStaffReply"] == 4

    status, _ = await api(base_url, "GET", f"{query}&from=2026-02-01", token=staff_token)
    assert status == 400
    status, _ = await api(base_url, "GET", f"/api/chat/analytics?businessId={business}", token=None)
    assert status == 401
    status, _ = await api(
        base_url, "GET", f"/api/chat/analytics?businessId={business}", token=make_token("staff", "O", other_business)
    )
    assert status == 403


async def test_analytics_series_per_day_covers_every_day_of_the_window(runtime, base_url, business, staff_token):

    store = runtime.store
    day = 86_400_000
    t0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z

    async def room(at: int, guest: bool = True, email: str | None = None):
        return await store.create_room(visitor_room(business, at % 100_000, guest, email), at)

    converted = await room(t0 + 1, email="a@x.io")
    await room(t0 + 2)
    await room(t0 + day - 1, guest=False)  # the last millisecond of Jan 1
    await room(t0 + 2 * day)  # Jan 3
    await room(t0 + 3 * day)  # Jan 4: after the window
    contact, _ = await store.upsert_contact(business, "a@x.io", None, None, t0 + 5)
    await store.link_contact(converted.id, contact, t0 + 5)

    query = f"/api/chat/analytics?businessId={business}&from=2026-01-01&to=2026-01-04&bucket=day"
    status, report = await api(base_url, "GET", query, token=staff_token)
    assert status == 200, report
    assert report["series"] == [
        {
            "date": "2026-01-01",
            "guestRooms": 2,
            "guestRoomsWithEmail": 1,
            "converted": 1,
            "conversionRate": 0.5,
            "authenticatedRooms": 1,
        },
        {
            "date": "2026-01-02",
            "guestRooms": 0,
            "guestRoomsWithEmail": 0,
            "converted": 0,
            "conversionRate": 0.0,
            "authenticatedRooms": 0,
        },
        {
            "date": "2026-01-03",
            "guestRooms": 1,
            "guestRoomsWithEmail": 0,
            "converted": 0,
            "conversionRate": 0.0,
            "authenticatedRooms": 0,
        },
    ]
    assert (report["guestRooms"], report["converted"], report["authenticatedRooms"]) == (3, 1, 1)  # the same window

    # a window that starts and ends inside days touches both; without bucket there is no series
    partial = f"/api/chat/analytics?businessId={business}&from=2026-01-01T12:00:00Z&to=2026-01-02T06:00:00Z"
    _, report = await api(base_url, "GET", f"{partial}&bucket=day", token=staff_token)
    assert [(d["date"], d["authenticatedRooms"], d["guestRooms"]) for d in report["series"]] == [
        ("2026-01-01", 1, 0),
        ("2026-01-02", 0, 0),
    ]
    _, report = await api(base_url, "GET", partial, token=staff_token)
    assert "series" not in report

    status, body = await api(base_url, "GET", f"{partial}&bucket=week", token=staff_token)
    assert status == 400 and body["error"]["field"] == "bucket"
    status, body = await api(
        base_url,
        "GET",
        f"/api/chat/analytics?businessId={business}&from=2025-01-01&to=2026-01-03&bucket=day",
        token=staff_token,
    )
    assert status == 400 and body["error"]["field"] == "bucket"
