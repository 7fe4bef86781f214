"""Two real server processes on PostgreSQL and Redis: a guest on A and staff on B chat as if on
one server; idempotent retries and guest limits hold across instances."""

from __future__ import annotations

import asyncio
import itertools

from tornado.httpclient import AsyncHTTPClient

from tests.cluster.harness import Participant
from tests.conftest import make_token
from tests.helpers import WsClient

N = 200


async def pump(who: Participant, tag: str, count: int) -> None:
    for i in range(count):
        await who.send(f"{tag} {i}", f"{tag}-{i}")


async def test_guest_on_a_and_staff_on_b_get_every_message_once_in_order(start, cluster_business):
    a, b = await start("a", "b")
    guest, staff = Participant("guest"), Participant("staff", token=make_token("staff", "Alice", cluster_business))
    try:
        await guest.connect(a.ws_url)
        room_id = await guest.join(business_id=cluster_business)
        await staff.connect(b.ws_url)
        await staff.join(room_id=room_id)

        await asyncio.gather(pump(guest, "guest", N), pump(staff, "staff", N))

        for who in (guest, staff):
            held = await who.until_holds(2 * N)
            _, pushes, duplicates = who.received()
            assert pushes == [list(range(1, 2 * N + 1))], f"{who.name}: not every message once, in seq order"
            assert duplicates == 0
            assert {m["clientMsgId"] for m in held.values()} == {*guest.acks, *staff.acks}
        senders = [guest.received()[0][seq]["senderType"] for seq in range(1, 2 * N + 1)]
        switches = sum(1 for x, y in itertools.pairwise(senders) if x != y)
        assert switches > 10, "the two streams were not interleaved"
        metrics = (await AsyncHTTPClient().fetch(f"{b.http_url}/metrics")).body.decode()
        fanned = [line for line in metrics.splitlines() if line.startswith("chatserver_fanout_latency_seconds_count")]
        assert fanned and float(fanned[0].split()[-1]) >= N, "b timed the guest's messages it got through Redis"
        print(f"\n[two instances] sent guest={guest.counts} staff={staff.counts}; each received {2 * N} once")
    finally:
        guest.close()
        staff.close()


async def test_a_retried_client_msg_id_on_another_instance_is_one_message(start, cluster_business):
    a, b = await start("a", "b")
    on_a, on_b = Participant("guest@a"), Participant("guest@b")
    staff = Participant("staff", token=make_token("staff", "Alice", cluster_business))
    try:
        await on_a.connect(a.ws_url)
        room_id = await on_a.join(business_id=cluster_business)
        on_b.session_id = on_a.session_id  # the same guest, reconnected elsewhere
        await on_b.connect(b.ws_url)
        assert await on_b.join(business_id=cluster_business) == room_id
        await staff.connect(b.ws_url)
        await staff.join(room_id=room_id)

        first = await on_a.send("once", "retry-1")
        again = await on_b.send("once", "retry-1")
        assert first["duplicate"] is False and again["duplicate"] is True
        assert (again["_id"], again["seq"]) == (first["_id"], first["seq"])

        # the same id sent on both instances at the same moment
        raced = await asyncio.gather(on_a.send("race", "race-1"), on_b.send("race", "race-1"))
        assert raced[0]["_id"] == raced[1]["_id"]
        assert sorted(r["duplicate"] for r in raced) == [False, True]

        await staff.send("marker", "marker-1")
        held = await staff.until_holds(3)
        assert [m["clientMsgId"] for _, m in sorted(held.items())] == ["retry-1", "race-1", "marker-1"]
        await asyncio.sleep(0.2)
        _, pushes, duplicates = staff.received()
        assert pushes == [[1, 2, 3]] and duplicates == 0
    finally:
        for who in (on_a, on_b, staff):
            who.close()


async def test_guest_limits_hold_across_instances(start, cluster_business):
    a, b = await start("a", "b", GUEST_MESSAGE_RATE_LIMIT="10", GUEST_REGISTRATIONS_PER_IP_PER_MINUTE="4")
    on_a, on_b = Participant("guest@a"), Participant("guest@b")
    clients: list[WsClient] = []
    try:
        # messages: one guest on both instances, alternating, 30 sends against a limit of 10
        await on_a.connect(a.ws_url)  # registration 1 of 4
        room_id = await on_a.join(business_id=cluster_business)
        on_b.session_id = on_a.session_id  # resumed, not a registration
        await on_b.connect(b.ws_url)
        await on_b.join(room_id=room_id)
        accepted = refused = 0
        for i in range(30):
            who = on_a if i % 2 == 0 else on_b
            data = {"roomId": room_id, "content": f"m{i}", "clientMsgId": f"rl-{i}"}
            frame = await who.ws.request("chat:send-message", data)
            if "error" in frame:
                assert frame["error"]["code"] == "rate_limited" and frame["error"]["retryAfterMs"] > 0
                refused += 1
            else:
                accepted += 1
        assert 9 <= accepted <= 11, accepted
        assert accepted + refused == 30

        # registrations from one address: 3 more new guests, alternating instances, then refused
        outcomes: list[str] = []
        for i in range(5):
            client = await WsClient.connect((b if i % 2 == 0 else a).ws_url)
            clients.append(client)
            first = await client.next(timeout=10)
            outcomes.append(first["event"] if first["event"] != "error" else first["data"]["code"])
            if first["event"] == "error":
                assert await client.wait_closed(timeout=10) == 4429
        assert outcomes == ["guest:registered"] * 3 + ["rate_limited"] * 2
    finally:
        on_a.close()
        on_b.close()
        for client in clients:
            client.close()
