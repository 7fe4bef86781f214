"""Erasing a guest on one instance reaches the others (issue 16): with two server processes on
PostgreSQL and Redis, a guest connected to B is closed with 4410 and a staff member connected to
B gets ``chat:room-deleted`` when staff erase the guest through A; the old ``sessionId`` then
resumes nothing on either instance."""

from __future__ import annotations

from tests.conftest import make_token
from tests.helpers import WsClient
from tests.rest import api


async def test_an_erase_on_a_closes_the_guest_and_updates_staff_on_b(start, cluster_business):
    a, b = await start("a", "b")
    token = make_token("staff", "Alice", cluster_business)
    guest = await WsClient.connect(b.ws_url)
    staff = await WsClient.connect(b.ws_url, token=token)
    again: WsClient | None = None
    try:
        registered = (await guest.next(timeout=10))["data"]
        await staff.wait_for("user:authenticated", timeout=10)
        room = (await guest.call("chat:join-room", {"businessId": cluster_business, "userName": "Eve"}, timeout=10))[
            "room"
        ]
        await guest.call("chat:send-message", {"roomId": room["_id"], "content": "erase me"}, timeout=10)
        await staff.wait_for("chat:room-created", timeout=10)

        status, _ = await api(
            a.http_url, "DELETE", f"/api/businesses/{cluster_business}/guests/{registered['guestId']}", token=token
        )
        assert status == 204

        assert await guest.wait_closed(timeout=10) == 4410
        assert guest.conn.close_reason == "visitor data erased"
        deleted = await staff.wait_for("chat:room-deleted", timeout=10, roomId=room["_id"])
        assert deleted["data"] == {"roomId": room["_id"]}
        assert staff.close_code is None  # staff stay connected

        for server in (a, b):
            again = await WsClient.connect(server.ws_url, sessionId=registered["sessionId"])
            fresh = (await again.next(timeout=10))["data"]
            assert fresh["resumed"] is False and fresh["guestId"] != registered["guestId"]
            again.close()
        status, _ = await api(a.http_url, "GET", f"/api/chat/rooms/{room['_id']}", token=token)
        assert status == 404
    finally:
        guest.close()
        staff.close()
        if again is not None:
            again.close()
