"""The seed's own test: ``wscat -c ws://localhost:PORT/realtime`` receives guest:registered."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.procs import ServerProcess, run_cli, wscat_path
from tests.services import IN_CI


@pytest.fixture
def server(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'smoke.db'}"}
    proc = ServerProcess(env).start()
    yield proc
    assert proc.stop() == 0  # SIGTERM drains and exits 0


def test_wscat_connects_without_token_and_chats(server):
    wscat = wscat_path()
    if wscat is None:
        if IN_CI:
            pytest.fail("wscat is not installed (scripts/test installs it into .tools/)")
        pytest.skip("wscat not installed; run scripts/test")
    business = run_cli("business", "add", "Acme", env=server.env).stdout.strip()
    join = json.dumps({"event": "chat:join-room", "ack": 1, "data": {"businessId": business, "userName": "Wscat"}})
    # stdin stays open: wscat quits as soon as its stdin ends, before answers arrive
    proc = subprocess.Popen(
        [wscat, "-c", f"ws://localhost:{server.port}/realtime", "-x", join, "-w", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        proc.wait(timeout=30)
    finally:
        proc.kill()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        stdout = proc.stdout.read()
    frames = [json.loads(line[line.index("{") :]) for line in stdout.splitlines() if "{" in line]
    assert frames[0]["event"] == "guest:registered" and frames[0]["data"]["guestId"].startswith("guest_")
    ack = next(f for f in frames if f["event"] == "ack")
    assert ack["ack"] == 1 and ack["data"]["room"]["roomName"] == "Chat with Wscat"
