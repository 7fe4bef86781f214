"""Where a joined WebSocket's memory goes: RSS per connection, and (``--trace``) a tracemalloc
diff grouped by where the blocks were allocated.

    python -m scripts.bench.memory --connections 2000            # RSS per joined connection
    python -m scripts.bench.memory --connections 2000 --trace 8  # plus the top allocation sites

The server is ``chatserver serve`` on a fresh SQLite store, started through this module so that
``SIGUSR1`` makes it write a tracemalloc snapshot; the guests are the ``connect`` workload's
(``open_idle``: register, join a room of their own, stay). tracemalloc sees Python's allocations
only, and costs memory itself: compare RSS figures from runs without ``--trace``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path
from types import FrameType

from scripts.bench.pool import Workers
from scripts.bench.servers import Database, Server, ours

SNAPSHOT_ENV = "CHATSERVER_MEMORY_SNAPSHOT"  # where the served process writes its snapshot
FRAMES_ENV = "CHATSERVER_MEMORY_FRAMES"  # frames per traceback


def serve() -> int:
    """``chatserver serve`` that writes a tracemalloc snapshot to ``$CHATSERVER_MEMORY_SNAPSHOT``
    on ``SIGUSR1`` (the file is replaced at once when complete). Tracing starts at the first
    signal: under tracemalloc the imports alone take longer than the start-up timeout, and
    what is allocated before the baseline is of no interest."""
    from chatserver.cli.main import main

    target = os.environ.get(SNAPSHOT_ENV)
    if target:

        def dump(signum: int, frame: FrameType | None) -> None:
            if not tracemalloc.is_tracing():
                tracemalloc.start(int(os.environ.get(FRAMES_ENV, "10")))
            tracemalloc.take_snapshot().dump(target + ".tmp")
            os.replace(target + ".tmp", target)

        signal.signal(signal.SIGUSR1, dump)
    return main(["serve"])


def snapshot(server: Server, path: Path) -> tracemalloc.Snapshot:
    path.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the server wrote no snapshot")
        time.sleep(0.1)
    return tracemalloc.Snapshot.load(str(path))


def served_frames(traceback: tracemalloc.Traceback) -> list[tracemalloc.Frame]:
    """The frames inside the event loop's callbacks (what is above them is the same for all)."""
    frames = list(traceback)  # oldest first
    outer = [i for i, f in enumerate(frames) if f.filename.endswith(("asyncio/runners.py", "asyncio/events.py"))]
    return frames[outer[-1] + 1 :] if outer else frames


def open_connections(server: Server) -> float:
    """The server's own count of open WebSockets (``/metrics``)."""
    with urllib.request.urlopen(f"{server.http_url}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    gauges = [line for line in text.splitlines() if line.startswith("chatserver_connections{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in gauges)


def run(connections: int, workers: int, trace: int, top: int, hold: float, ping_interval: int | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="chatserver-memory-"))
    db = Database("sqlite", workdir).create()
    server = ours(db, secrets.token_urlsafe(32), workdir)
    server.command = [sys.executable, "-m", "scripts.bench.memory", "--serve"]
    snap_path = workdir / "snapshot"
    server.env = {**server.env, SNAPSHOT_ENV: str(snap_path), FRAMES_ENV: str(trace or 1)}
    if ping_interval is not None:
        server.env["WS_PING_INTERVAL"] = str(ping_interval)
    pool = Workers(workers, workdir / "loadgen.log")
    try:
        server.start()
        server.settle()
        before = snapshot(server, snap_path) if trace else None
        rss0 = server.rss_bytes()
        per = [connections // workers + (1 if i < connections % workers else 0) for i in range(workers)]
        replies = pool.ask(
            [
                {"cmd": "open_idle", "dialect": "ours", "url": server.url, "business": db.business_id, "count": k}
                for k in per
            ]
        )
        time.sleep(1.0)
        rss1 = server.rss_bytes()
        opened = sum(r["opened"] for r in replies)
        print(f"{opened}/{connections} opened; RSS {rss0 / 2**20:.1f} -> {rss1 / 2**20:.1f} MiB", flush=True)
        print(f"rss_per_conn_kib {(rss1 - rss0) / max(1, opened) / 1024:.2f}", flush=True)
        if before is not None:
            after = snapshot(server, snap_path)
            stats = after.compare_to(before, "traceback")
            total = sum(s.size_diff for s in stats)
            print(f"tracemalloc: {total / max(1, opened):.0f} B per connection traced", flush=True)
            before.dump(str(workdir / "before.snapshot"))
            after.dump(str(workdir / "after.snapshot"))
            print(f"snapshots: {workdir}/before.snapshot, after.snapshot", flush=True)
            for stat in stats[:top]:
                size, count = stat.size_diff / max(1, opened), stat.count_diff / max(1, opened)
                print(f"\n{size:8.0f} B/conn {count:6.2f} blocks/conn")
                for frame in served_frames(stat.traceback):
                    print(f"    {frame.filename.rsplit('site-packages/', 1)[-1]}:{frame.lineno}")
        if hold:
            time.sleep(hold)  # idle: only keep-alive pings and pongs
            print(f"after {hold:.0f}s idle: {open_connections(server):.0f} connections open", flush=True)
        pool.all({"cmd": "close"})
    finally:
        pool.close()
        server.stop()
        db.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trace", type=int, default=0, help="tracemalloc frames per traceback (0: no tracing)")
    parser.add_argument("--top", type=int, default=25, help="allocation sites to print")
    parser.add_argument("--hold", type=float, default=0, help="then stay idle this long and count what is open")
    parser.add_argument("--ping-interval", type=int, default=None, help="WS_PING_INTERVAL for the server")
    args = parser.parse_args()
    if args.serve:
        return serve()
    run(args.connections, args.workers, args.trace, args.top, args.hold, args.ping_interval)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
