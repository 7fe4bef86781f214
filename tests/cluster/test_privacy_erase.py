"""Erasing a guest on one instance reaches the others (issue 16): with two server processes on
PostgreSQL and Redis, a guest connected to B is closed with 4410 and a staff member connected to
B gets ``chat:room-deleted`` when staff erase the guest through A; the old ``sessionId`` then
resumes nothing on either instance."""

from __future__ import annotations

import asyncio

from tests.conftest import make_token
from tests.helpers import WsClient
from tests.procs import run_cli
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


async def test_an_erase_from_the_cli_closes_the_guest_on_every_instance(start, cluster_business, cluster_env):
    """The operator's ``chatserver guest erase`` runs no server: with ``REDIS_URL`` it signals the
    running instances, which close the visitor's connections as after a REST erase."""
    a, b = await start("a", "b")
    on_a = await WsClient.connect(a.ws_url)
    registered = (await on_a.next(timeout=10))["data"]
    on_b = await WsClient.connect(b.ws_url, sessionId=registered["sessionId"])
    try:
        assert (await on_b.next(timeout=10))["data"]["resumed"] is True
        await on_a.call("chat:join-room", {"businessId": cluster_business, "userName": "Eve"}, timeout=10)
        done = await asyncio.to_thread(
            run_cli, "guest", "erase", "--business", cluster_business, registered["guestId"], env=cluster_env
        )
        assert done.returncode == 0, done.stderr
        assert "signalled the running instances" in done.stdout
        assert await on_a.wait_closed(timeout=10) == 4410
        assert await on_b.wait_closed(timeout=10) == 4410
    finally:
        on_a.close()
        on_b.close()
