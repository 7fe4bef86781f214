"""A client that stops reading while others chat: the server's queue for it is bounded, it is
closed with 4408, the server's memory stays flat, and everyone else is served as usual.

The slow client shrinks its socket receive buffer and never reads; it asks for large history
pages so that its backlog grows fast. Two others keep chatting in the same room (it follows it
too, so every message is also queued for it) and a third member reads everything.
"""

from __future__ import annotations

import asyncio
import time

from tests.conftest import make_token
from tests.figures import record
from tests.procs import ServerProcess, run_cli
from tests.rawws import RawWebSocket
from tests.reliability.support import MIB, RssSampler, base_env, rss_bytes, wait_for_log, ws

QUEUE_BYTES = 1 * MIB
SEED = 100  # messages in the room's history before the slow client starts
PAGE_REQUESTS = 200  # history pages of 100 messages the slow client asks for and never reads
PER_PRODUCER = 150


async def test_a_client_that_never_reads_is_closed_and_memory_stays_bounded(tmp_path):
    log_path = tmp_path / "server.log"
    env = base_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}",
        MAX_SEND_QUEUE_BYTES=str(QUEUE_BYTES),
        MAX_FRAMES_PER_SECOND="0",  # the slow client's requests all count; frame limits have their own tests
        LOG_LEVEL="INFO",
    )
    server = ServerProcess(env, log_path=log_path).start()
    try:
        business = run_cli("business", "add", "Acme", env=server.env).stdout.strip()
        customer = await ws(server.ws_url, token=make_token("customer", "Carol"))
        room_id = (await customer.call("chat:join-room", {"businessId": business, "userName": "Carol"}))["room"]["_id"]
        for n in range(SEED):
            await customer.call("chat:send-message", {"roomId": room_id, "content": f"seed {n} " + "s" * 1900})
        staff_token = make_token("staff", "Sam", business)
        producer = await ws(server.ws_url, token=staff_token)
        reader = await ws(server.ws_url, token=make_token("staff", "Rita", business))
        for client in (producer, reader):
            await client.call("chat:join-room", {"roomId": room_id, "limit": 1})

        slow = await RawWebSocket.connect(server.port, query={"token": staff_token}, receive_buffer=4096)
        assert (await slow.read_json())["event"] == "user:authenticated"
        slow.send_json({"event": "chat:join-room", "ack": 1, "data": {"roomId": room_id, "limit": 1}})
        assert (await slow.read_json())["ack"] == 1
        slow.stop_reading()
        baseline = rss_bytes(server.proc.pid)

        async def produce(client, name: str) -> list[int]:
            seqs = []
            for n in range(PER_PRODUCER):
                ack = await client.call(
                    "chat:send-message", {"roomId": room_id, "content": f"{name} {n} " + "p" * 1000}
                )
                seqs.append(ack["seq"])
            return seqs

        started = time.monotonic()
        with RssSampler(server.proc.pid) as memory:
            for n in range(PAGE_REQUESTS):
                slow.send_json({"event": "chat:history", "ack": 100 + n, "data": {"roomId": room_id, "limit": 100}})
            producing = asyncio.gather(produce(customer, "carol"), produce(producer, "sam"))
            closed_in_time = await wait_for_log(log_path, "closing a slow consumer", timeout=60)
            # read now, while the server still holds the close frame, only to learn the close code
            received = 0
            slow.resume_reading()
            while (message := await asyncio.wait_for(slow.read_message(), 30)) is not None:
                received += len(message)
            produced = await producing
        elapsed = time.monotonic() - started

        assert closed_in_time and slow.close_code == 4408
        sent_seqs = sorted(produced[0] + produced[1])
        assert len(sent_seqs) == 2 * PER_PRODUCER
        for seq in sent_seqs:
            await reader.wait_for("chat:new-message", seq=seq, timeout=30)
        delivered = [m["seq"] for m in reader.events("chat:new-message")]
        assert delivered == sorted(set(delivered)) and set(sent_seqs) <= set(delivered)  # in order, no doubles
        assert not [f for f in customer.frames + producer.frames + reader.frames if "error" in f]
        growth = memory.peak - baseline
        requested = PAGE_REQUESTS * 100 * 1950
        # with no effective bound (MAX_SEND_QUEUE_BYTES=1 GiB) the same run grew by ~20 MiB and
        # the client was never closed; with it: the bound, plus allocator noise
        assert growth < QUEUE_BYTES + 7 * MIB, f"server memory grew by {growth / MIB:.1f} MiB"
        record(
            "slow_consumer",
            send_queue_bound_mib=QUEUE_BYTES / MIB,
            requested_by_slow_client_mib=round(requested / MIB, 1),
            received_by_slow_client_mib=round(received / MIB, 2),
            server_rss_baseline_mib=round(baseline / MIB, 1),
            server_rss_peak_growth_mib=round(growth / MIB, 1),
            rss_samples=memory.samples,
            others_messages_acked=len(sent_seqs),
            others_delivered_to_reader=len(set(delivered) & set(sent_seqs)),
            others_errors=0,
            seconds=round(elapsed, 1),
        )
    finally:
        server.stop()
