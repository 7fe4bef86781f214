"""Slow and half-open clients against a real ``chatserver serve``: sockets that trickle a partial
request are closed at the header deadline, one address cannot hold more than its share of
connections waiting for headers, and running out of file descriptors neither spins nor floods
the log — and another client is served meanwhile and afterwards."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

from chatserver.adapters.http.listener import RateLimitedLog
from tests.figures import record
from tests.procs import ServerProcess, chatserver_cmd
from tests.reliability.support import base_env, cpu_seconds, rss_bytes

PARTIAL = b"GET /realtime HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def _partial(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(PARTIAL)
    return sock


def _closed_by_server(sock: socket.socket, within_s: float) -> bool:
    sock.settimeout(within_s)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _healthz_ms(server: ServerProcess) -> float:
    started = time.monotonic()
    status, _ = server.probe("/healthz")
    assert status == 200
    return (time.monotonic() - started) * 1000


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return base_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}", **extra)


def test_trickling_partial_requests_are_closed_at_the_header_deadline(tmp_path):
    count, timeout_s = 500, 2
    with ServerProcess(_env(tmp_path, HTTP_HEADER_TIMEOUT=str(timeout_s), MAX_HALF_OPEN_PER_IP="0")).start() as server:
        rss0, files0 = rss_bytes(server.pid), _open_files(server.pid)
        sockets = [_partial(server.port) for _ in range(count)]
        opened = time.monotonic()
        latencies = []
        while time.monotonic() - opened < timeout_s - 0.5:  # one byte each, well within the deadline
            for sock in sockets:
                sock.sendall(b"X")
            latencies.append(_healthz_ms(server))
            time.sleep(0.3)
        files_during = _open_files(server.pid)
        closed = sum(_closed_by_server(sock, within_s=timeout_s + 2) for sock in sockets)
        closed_after = time.monotonic() - opened
        for sock in sockets:
            sock.close()
        time.sleep(0.2)
        files1, rss1 = _open_files(server.pid), rss_bytes(server.pid)
        record(
            "slow_clients.header_deadline",
            sockets=count,
            header_timeout_s=timeout_s,
            closed=closed,
            all_closed_after_s=round(closed_after, 2),
            open_files_before=files0,
            open_files_during=files_during,
            open_files_after=files1,
            rss_before_mb=round(rss0 / 2**20, 1),
            rss_after_mb=round(rss1 / 2**20, 1),
            other_client_healthz_max_ms=round(max(latencies), 1),
        )
    assert closed == count
    assert closed_after < timeout_s + 2
    assert files_during >= count  # they were all held open until the deadline ...
    assert files1 <= files0 + 5  # ... and none is left after it


def test_one_address_holds_at_most_its_share_of_connections_waiting_for_headers(tmp_path):
    cap = 5
    with ServerProcess(_env(tmp_path, MAX_HALF_OPEN_PER_IP=str(cap))).start() as server:
        waiting = [_partial(server.port) for _ in range(cap)]
        time.sleep(0.3)
        extra = _partial(server.port)
        assert _closed_by_server(extra, within_s=3)  # over the cap: closed when accepted
        assert not _closed_by_server(waiting[0], within_s=0.3)  # those under it still wait
        for sock in waiting:
            sock.close()
        time.sleep(0.3)
        assert _healthz_ms(server) < 5000  # the address is served again once they are gone
        assert "MAX_HALF_OPEN_PER_IP" in server.output()


def test_running_out_of_file_descriptors_pauses_accepting_without_flooding_the_log(tmp_path):
    limit = 128
    command = ["prlimit", f"--nofile={limit}:{limit}", *chatserver_cmd("serve", python=sys.executable)]
    # STORE_FULL_USER_AGENT: no user-agent parser loading its data in a thread while descriptors run out
    env = _env(tmp_path, MAX_HALF_OPEN_PER_IP="0", HTTP_HEADER_TIMEOUT="30", STORE_FULL_USER_AGENT="true")
    with ServerProcess(env, command=command).start() as server:
        sockets = [_partial(server.port) for _ in range(limit + 50)]  # the excess waits in the backlog
        time.sleep(0.5)
        cpu0 = cpu_seconds(server.pid)
        time.sleep(3)
        cpu_pct = (cpu_seconds(server.pid) - cpu0) / 3 * 100
        failures_logged = server.output().count("accepting connections failed")
        for sock in sockets:
            sock.close()
        deadline = time.monotonic() + 10
        while True:  # accepting resumes once descriptors are free again
            try:
                latency = _healthz_ms(server)
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never accepted again"
                time.sleep(0.2)
        record(
            "slow_clients.out_of_files",
            file_limit=limit,
            sockets=len(sockets),
            server_cpu_pct_while_full=round(cpu_pct, 1),
            failure_lines_logged=failures_logged,
            healthz_after_ms=round(latency, 1),
        )
    assert failures_logged >= 1
    assert failures_logged <= 10  # at most one a second (was one traceback per loop iteration)
    assert cpu_pct < 30  # paused, not spinning on a listening socket it cannot accept from
    assert "Traceback" not in server.output()


def test_the_rate_limited_log_counts_what_it_did_not_print(caplog):
    now = [0.0]
    limited = RateLimitedLog("failing", every_s=1.0, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="chatserver.listener"):
        for step in range(25):
            now[0] = step * 0.1
            limited.note("EMFILE")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3  # at 0.0, 1.0 and 2.0 s
    assert lines[1].startswith("failing (10 in the last 1.0 s")
    assert limited.total == 25
