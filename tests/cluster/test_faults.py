"""Faults with real processes: an instance killed with SIGKILL, Redis killed and restarted,
an instance drained with SIGTERM. Nothing acknowledged is lost, nobody sees a message twice.

Each test prints its counts (run pytest with -s to see them): sends written, distinct messages
acknowledged, retries, retries answered ``duplicate``; per participant, messages delivered
(pushed live, or in a resume reply) and pushes of a message already held (duplicates)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from tests.cluster.harness import Participant, metrics
from tests.conftest import make_token
from tests.procs import ServerProcess
from tests.services import PG_URL, PrivateRedis, require_redis


async def stored(schema: str, room_id: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch(
            f'SELECT seq, client_msg_id FROM "{schema}".messages WHERE room_id = $1 ORDER BY seq', room_id
        )
    finally:
        await conn.close()
    return [(r["seq"], r["client_msg_id"]) for r in rows]


async def check_complete(schema: str, people: list[Participant], label: str) -> dict[str, Any]:
    """Every acknowledged message is stored once; everyone holds all of them, none pushed twice."""
    room_id = people[0].room_id
    assert room_id is not None
    rows = await stored(schema, room_id)
    total = len(rows)
    assert [seq for seq, _ in rows] == list(range(1, total + 1))
    ids = [cid for _, cid in rows]
    assert len(set(ids)) == total, "a clientMsgId was stored twice"
    acked = {cid for who in people for cid in who.acks}
    assert acked <= set(ids), f"acknowledged but not stored: {sorted(acked - set(ids))}"
    report: dict[str, Any] = {"stored": total}
    for who in people:
        held = await who.until_holds(total)
        _, pushes, duplicates = who.received()
        assert sorted(held) == list(range(1, total + 1))
        assert duplicates == 0, f"{who.name} got {duplicates} duplicate pushes"
        for pushed in pushes:
            assert pushed == sorted(set(pushed)), f"{who.name}: pushes out of seq order"
        report[who.name] = {
            "sent": who.counts.sent,
            "acked": who.counts.acked,
            "retried": who.counts.retried,
            "duplicate_acks": who.counts.duplicate_acks,
            "delivered": len(held),
            "pushed": sum(len(p) for p in pushes),
            "duplicated": duplicates,
            "connections": len(who.connections),
        }
    print(f"\n[{label}] {report}")
    return report


async def staff_and_guest(a: ServerProcess, b: ServerProcess, business: str) -> tuple[Participant, Participant]:
    guest, staff = Participant("guest"), Participant("staff", token=make_token("staff", "Alice", business))
    await guest.connect(a.ws_url)
    room_id = await guest.join(business_id=business)
    await staff.connect(b.ws_url)
    await staff.join(room_id=room_id)
    return guest, staff


async def test_kill_9_of_the_staff_instance_mid_stream(start, cluster_business, cluster_db):
    a, b = await start("a", "b")
    guest, staff = await staff_and_guest(a, b, cluster_business)
    count = 100
    try:

        async def guest_pump() -> None:
            for i in range(count):
                await guest.send_reliably(f"guest {i}", f"guest-{i}", [a.ws_url])

        async def staff_pump() -> None:
            for i in range(count):
                sending = asyncio.ensure_future(staff.send_reliably(f"staff {i}", f"staff-{i}", [a.ws_url]))
                if i == 30:
                    await asyncio.sleep(0)  # the frame is written; B may or may not store it
                    b.kill()
                await sending

        await asyncio.gather(guest_pump(), staff_pump())
        assert staff.instance_names[0] != staff.instance_names[-1], "staff did not move to A"
        report = await check_complete(cluster_db, [guest, staff], "kill -9 of B")
        assert report["stored"] == 2 * count
    finally:
        guest.close()
        staff.close()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    require_redis()
    server = PrivateRedis()
    server.start()
    yield server
    server.kill()


async def test_redis_restart_mid_stream(start, cluster_business, cluster_db, private_redis):
    a, b = await start("a", "b", REDIS_URL=private_redis.url)
    guest, staff = await staff_and_guest(a, b, cluster_business)
    count, down_at, up_at = 90, 30, 60
    reached = {name: {down_at: asyncio.Event(), up_at: asyncio.Event()} for name in ("guest", "staff")}
    outage, recovered = asyncio.Event(), asyncio.Event()
    try:

        async def pump(who: Participant) -> None:
            for i in range(count):
                if i in (down_at, up_at):
                    reached[who.name][i].set()
                    await asyncio.wait_for((outage if i == down_at else recovered).wait(), 30)
                await who.send_reliably(f"{who.name} {i}", f"{who.name}-{i}", [])

        async def chaos() -> None:
            await asyncio.gather(*(reached[n][down_at].wait() for n in reached))
            private_redis.kill()
            for instance in (a, b):
                body = await instance.await_ready(15, expect=503)
                assert body["checks"]["broker"].startswith("unavailable")
            outage.set()  # both instances know; sending goes on during the outage
            await asyncio.gather(*(reached[n][up_at].wait() for n in reached))
            await private_redis.astart()
            await asyncio.gather(a.await_ready(20), b.await_ready(20))
            recovered.set()

        await asyncio.wait_for(asyncio.gather(pump(guest), pump(staff), chaos()), 90)
        report = await check_complete(cluster_db, [guest, staff], "Redis restart")
        assert report["stored"] == 2 * count
        assert len(guest.connections) == len(staff.connections) == 1  # the outage did not drop clients
        for instance in (a, b):
            assert (await metrics(instance))["chatserver_redis_reconnects_total"] >= 1
    finally:
        guest.close()
        staff.close()


async def test_sigterm_drains_and_clients_resume_on_the_other_instance(start, cluster_business, cluster_db):
    a, b = await start("a", "b")
    guest, staff = await staff_and_guest(a, b, cluster_business)
    count = 60
    exit_code: list[int | None] = []
    try:

        async def guest_pump() -> None:
            for i in range(count):
                sending = asyncio.ensure_future(guest.send_reliably(f"guest {i}", f"guest-{i}", [b.ws_url]))
                if i == 20:
                    await asyncio.sleep(0)  # a send in flight when SIGTERM arrives
                    exit_code.append(await a.astop(timeout=30))
                await sending

        async def staff_pump() -> None:
            for i in range(count):
                await staff.send_reliably(f"staff {i}", f"staff-{i}", [b.ws_url])

        await asyncio.gather(guest_pump(), staff_pump())
        assert exit_code == [0]
        assert guest.connections[0].close_code == 1001
        assert guest.instance_names[-1] == staff.instance_names[0], "the guest did not resume on B"
        report = await check_complete(cluster_db, [guest, staff], "SIGTERM drain of A")
        assert report["stored"] == 2 * count
    finally:
        guest.close()
        staff.close()
