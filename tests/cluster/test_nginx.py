"""Through nginx (``scripts/cluster``: two instances, round-robin WebSocket proxying, no sticky
sessions), a client whose consecutive connections land on different instances resumes without
loss or duplicates."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.harness import Instance, Participant
from tests.conftest import SECRET, make_token
from tests.services import PG_URL, free_port

ROOT = Path(__file__).resolve().parents[2]


class Cluster:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.instance_ports = [free_port(), free_port()]
        self.log_path = log_path
        self.env = {
            **os.environ,
            **env,
            "CLUSTER_PORT": str(self.port),
            "CLUSTER_INSTANCE_PORTS": " ".join(map(str, self.instance_ports)),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                ["bash", str(ROOT / "scripts" / "cluster")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def probes(self) -> list[Instance]:
        """/readyz of each instance, and of nginx (a port in front of both)."""
        ports = [*self.instance_ports, self.port]
        return [Instance(f"port {p}", {}, self.log_path, port=p) for p in ports]

    def stop(self) -> None:
        """SIGTERM the script (it drains its instances and stops nginx); anything it leaves
        behind is killed by the pid it printed."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in re.findall(r"pid (\d+)", self.log_path.read_text(errors="replace")):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


@pytest.fixture
def nginx_cluster(cluster_db: str, cluster_redis: tuple[str, str], tmp_path: Path) -> Iterator[Cluster]:
    redis_url, prefix = cluster_redis
    env = {
        "DATABASE_URL": PG_URL,
        "DATABASE_SCHEMA": cluster_db,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": prefix,
        "JWT_SECRET": SECRET,
        "GUEST_MESSAGE_RATE_LIMIT": "100000",
        "MAX_FRAMES_PER_SECOND": "0",  # these clients send as fast as they can on purpose
    }
    cluster = Cluster(env, tmp_path / "cluster.log")
    cluster.spawn()
    yield cluster
    cluster.stop()


async def test_consecutive_connections_on_different_instances_resume_without_loss(nginx_cluster, cluster_business):
    for probe in nginx_cluster.probes():
        await probe.wait_ready()
    url = f"ws://127.0.0.1:{nginx_cluster.port}/realtime"
    guest, staff = Participant("guest"), Participant("staff", token=make_token("staff", "Alice", cluster_business))
    try:
        await guest.connect(url)
        room_id = await guest.join(business_id=cluster_business)
        sent = 0
        for visit in range(6):
            await staff.connect(url)
            await (staff.join(room_id=room_id) if visit == 0 else staff.join())
            for _ in range(5):  # while the staff member is connected: delivered live
                await guest.send(f"live {sent}", f"g-{sent}")
                sent += 1
            await staff.until_holds(sent)
            staff.ws.close()
            for _ in range(5):  # while it is away: delivered by the next resume
                await guest.send(f"missed {sent}", f"g-{sent}")
                sent += 1
        await staff.connect(url)
        await staff.join()

        held = await staff.until_holds(sent)
        _, pushes, duplicates = staff.received()
        assert sorted(held) == list(range(1, sent + 1)) and duplicates == 0
        assert all(p == sorted(p) for p in pushes)
        names = staff.instance_names
        assert len(set(names)) == 2, names
        assert all(x != y for x, y in itertools.pairwise(names)), f"not round-robin: {names}"
        print(f"\n[nginx] staff connections on {names}; {sent} messages, {sum(map(len, pushes))} pushed live")
    finally:
        guest.close()
        staff.close()
