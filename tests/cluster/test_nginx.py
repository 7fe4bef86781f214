"""Through nginx (``scripts/cluster``: two instances, round-robin WebSocket proxying, no sticky
sessions), a client whose consecutive connections land on different instances resumes without
loss or duplicates."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.harness import START_WITHIN_S, Participant, instance
from tests.conftest import make_token
from tests.procs import ROOT, ServerProcess, free_port


class Cluster:
    """``scripts/cluster`` as a process: nginx on ``port`` in front of two instances."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.instance_ports = [free_port(), free_port()]
        self.log_path = log_path
        ports = {"CLUSTER_PORT": str(self.port), "CLUSTER_INSTANCE_PORTS": " ".join(map(str, self.instance_ports))}
        command = ["bash", str(ROOT / "scripts" / "cluster")]
        self.process = ServerProcess(
            {**env, **ports}, self.port, log_path, name="nginx", ready_path="/readyz", command=command
        )

    def probes(self) -> list[ServerProcess]:
        """/readyz of each instance, and of nginx (a port in front of both)."""
        instances = [instance(f"port {p}", {}, self.log_path, port=p) for p in self.instance_ports]
        return [*instances, self.process]

    def stop(self) -> None:
        """SIGTERM the script (it drains its instances and stops nginx); anything it leaves
        behind is killed by the pid it printed."""
        if self.process.proc is None:
            return
        self.process.stop(timeout=40)
        for pid in re.findall(r"pid (\d+)", self.process.output()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


@pytest.fixture
def nginx_cluster(cluster_env: dict[str, str], tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(cluster_env, tmp_path / "cluster.log")
    cluster.process.spawn()
    yield cluster
    cluster.stop()


async def test_consecutive_connections_on_different_instances_resume_without_loss(nginx_cluster, cluster_business):
    for probe in nginx_cluster.probes():
        await probe.await_ready(START_WITHIN_S)
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
