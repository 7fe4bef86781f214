"""Server CPU per message at one fixed rate: the quick check for a send-path change.

    python -m scripts.bench.cpu_per_message --backend sqlite --rate 400
    python -m scripts.bench.cpu_per_message --backend postgres --rate 200 --server sio

One server, ``--pairs`` rooms (each a guest and a staff member in its own business, as in the
``pairs`` workload), the generator sending ``--rate`` messages a second for ``--seconds``; prints
the server's CPU time (user + system, every thread) divided by the messages sent, its idle
CPU before, and the end-to-end latency (send to delivery at the staff member) after the first
second. Unlike the sweep it does not look for saturation: at a rate both servers sustain it
compares what each message costs, which is what a change to the send path changes.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

from scripts.bench.pool import Workers
from scripts.bench.servers import Database, Server, ours, reference
from scripts.bench.stats import Histogram
from scripts.bench.workloads import open_pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--server", default="ours", choices=["ours", "sio"])
    parser.add_argument("--rate", type=float, default=400.0, help="messages a second, all guests together")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for chatserver (repeatable)")
    args = parser.parse_args(argv)
    from chatserver.usecases.tokens import issue_token

    out = Path(tempfile.mkdtemp(prefix="cpu-per-message-"))
    db = Database(args.backend, out, extra_businesses=args.pairs).create()
    secret = secrets.token_urlsafe(32)
    pairs = [
        (b, issue_token(secret, sub=f"staff-{i}", role="staff", name="Staff", business_id=b))
        for i, b in enumerate(db.pair_businesses)
    ]
    server: Server = ours(db, secret, out) if args.server == "ours" else reference(secret, out)
    server.env.update(dict(item.split("=", 1) for item in args.env))
    server.start()
    workers = Workers(args.workers, out / "loadgen.log")
    try:
        open_pairs(workers, args.server, server.url, server.url, pairs)
        time.sleep(1)
        idle_before = server.cpu_seconds()
        time.sleep(3)
        idle = (server.cpu_seconds() - idle_before) / 3
        before = server.cpu_seconds()
        start = time.monotonic_ns() + 200_000_000
        # latency is measured after the first second (the automation cache's first loads); CPU over all of it
        step = {"cmd": "measure", "rate": args.rate / args.workers, "duration": args.seconds, "warmup": 1}
        replies = workers.ask([{**step, "start_ns": start, "drain": 3}] * args.workers)
        cpu = server.cpu_seconds() - before
        sent = sum(r["sent"] for r in replies)
        delivered = sum(r["delivered_measured"] for r in replies)
        result = {
            "server": args.server,
            "backend": args.backend,
            "rate": args.rate,
            "sent": sent,
            "delivered": delivered,
            "cpu_s": round(cpu, 3),
            "cpu_us_per_msg": round(cpu / sent * 1e6) if sent else None,
            "idle_cpu_percent": round(idle * 100, 1),
            "latency_ms": Histogram.merged([r["latency"] for r in replies]).summary(),
            "env": args.env,
        }
        print(json.dumps(result))
        measured = sum(r["sent_measured"] for r in replies)
        return 0 if delivered == measured else 1  # every message sent after the first second arrived
    finally:
        workers.close()
        server.stop()
        db.drop()


if __name__ == "__main__":
    sys.exit(main())
