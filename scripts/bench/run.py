"""Run the benchmark: every workload against chatserver and the python-socketio reference
(``storm`` and ``dashboard`` against chatserver only: the reference has no guest sessions to
resume and no room lists).

    python -m scripts.bench.run                      # the full run (several minutes)
    python -m scripts.bench.run --quick              # a smoke run, a few seconds a workload
    python -m scripts.bench.run --docs docs/performance.md   # also rewrite the report's tables and plots
    python -m scripts.bench.run --workloads idle,storm --servers ours --backends sqlite   # the two alone
    python -m scripts.bench.run --workloads dashboard --servers ours --backends sqlite    # staff room lists

Results go to ``--out`` (default ``bench-results/<time>/``): ``results.jsonl`` (one record per
step, summary, connect test and profile), the servers' and generator's logs, py-spy profiles.
Loopback only; every step is bounded by ``--duration`` + ``--drain`` seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from scripts.bench import dashboard, profile, report, storm, workloads
from scripts.bench.config import Config
from scripts.bench.records import Recorder
from scripts.bench.servers import Database, Server, ours, ours_has_redis_broker, reference
from tests.procs import ROOT

WORKLOADS = ("pairs", "fanout", "connect", "cluster", "idle", "storm", "dashboard")
SIZES = (
    "duration",
    "warmup",
    "drain",
    "workers",
    "pairs",
    "start_rate",
    "max_rate",
    "factor",
    "fanout_members",
    "fanout_start_rate",
    "connections",
    "idle_businesses",
    "idle_seconds",
    "storm_guests",
    "storm_businesses",
    "storm_concurrency",
    "storm_timeout",
    "storm_chat_rate",
    "dashboard_staff",
    "dashboard_rooms",
    "dashboard_rate",
    "dashboard_staff_extreme",
    "dashboard_extreme_rate",
    "dashboard_chat_rate",
)
QUICK = {
    "duration": 2.0,
    "warmup": 0.5,
    "drain": 1.0,
    "pairs": 4,
    "start_rate": 40.0,
    "max_rate": 80.0,
    "fanout_members": 10,
    "fanout_start_rate": 5.0,
    "connections": 40,
    "profile": False,
    "idle_businesses": 40,
    "idle_seconds": 2.0,
    "storm_guests": 60,
    "storm_businesses": 6,
    "dashboard_staff": 4,
    "dashboard_rooms": 20,
    "dashboard_rate": 40.0,
    "dashboard_staff_extreme": 8,
    "dashboard_extreme_rate": 20.0,
    "dashboard_chat_rate": 5.0,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = Config()
    p.add_argument("--quick", action="store_true", help="tiny sizes and short steps (a smoke run)")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, from " + ", ".join(WORKLOADS))
    p.add_argument("--servers", default="ours,sio", help="ours, sio (the python-socketio reference), or both")
    p.add_argument("--backends", default="sqlite,postgres", help="chatserver databases: sqlite, postgres")
    p.add_argument("--duration", type=float, help=f"seconds per step, warm-up included [{d.duration}]")
    p.add_argument("--warmup", type=float, help=f"seconds at the start of a step not counted [{d.warmup}]")
    p.add_argument("--drain", type=float, help=f"seconds a step waits for late deliveries [{d.drain}]")
    p.add_argument("--workers", type=int, help=f"load generator processes [{d.workers}]")
    p.add_argument("--pairs", type=int, help=f"rooms in pairs/cluster [{d.pairs}]")
    p.add_argument("--start-rate", type=float, help=f"first offered rate of the pairs sweep, msg/s [{d.start_rate}]")
    p.add_argument("--max-rate", type=float, help=f"highest offered rate tried [{d.max_rate}]")
    p.add_argument("--factor", type=float, help=f"rate multiplier between sweep steps [{d.factor}]")
    p.add_argument("--fanout-members", type=int, help=f"members of the fan-out room [{d.fanout_members}]")
    p.add_argument(
        "--fanout-start-rate", type=float, help=f"first sender rate of the fan-out sweep [{d.fanout_start_rate}]"
    )
    p.add_argument("--connections", type=int, help=f"idle connections in connect [{d.connections}]")
    p.add_argument("--idle-businesses", type=int, help=f"businesses made active in idle [{d.idle_businesses}]")
    p.add_argument("--idle-seconds", type=float, help=f"measured seconds without traffic in idle [{d.idle_seconds}]")
    p.add_argument("--storm-guests", type=int, help=f"guests reconnecting at once in storm [{d.storm_guests}]")
    p.add_argument("--storm-businesses", type=int, help=f"businesses of the storm guests' rooms [{d.storm_businesses}]")
    p.add_argument("--storm-concurrency", type=int, help=f"storm connections opening at once [{d.storm_concurrency}]")
    p.add_argument("--storm-timeout", type=float, help=f"seconds the storm may take at most [{d.storm_timeout}]")
    p.add_argument("--storm-chat-rate", type=float, help=f"chat msg/s each way during the storm [{d.storm_chat_rate}]")
    p.add_argument("--dashboard-staff", type=int, help=f"listening staff connections [{d.dashboard_staff}]")
    p.add_argument("--dashboard-rooms", type=int, help=f"guest rooms sending in dashboard [{d.dashboard_rooms}]")
    p.add_argument("--dashboard-rate", type=float, help=f"msg/s of all dashboard guests [{d.dashboard_rate}]")
    p.add_argument(
        "--dashboard-staff-extreme",
        type=int,
        help=f"staff connections of the extreme variant, 0: none [{d.dashboard_staff_extreme}]",
    )
    p.add_argument(
        "--dashboard-extreme-rate", type=float, help=f"msg/s of the extreme variant [{d.dashboard_extreme_rate}]"
    )
    p.add_argument(
        "--dashboard-chat-rate", type=float, help=f"msg/s a guest sends the dashboard agent [{d.dashboard_chat_rate}]"
    )
    p.add_argument(
        "--storm-profile", action="store_true", help="py-spy on the server during the storm (disturbs its figures)"
    )
    p.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="profile both servers with py-spy under pairs [on, off with --quick]",
    )
    p.add_argument("--out", type=Path, help="results directory [bench-results/<time>]")
    p.add_argument("--docs", type=Path, help="rewrite this markdown report's generated part (and plots beside it)")
    return p.parse_args(argv)


def config(args: argparse.Namespace, out: Path) -> Config:
    cfg = Config(out=out)
    if args.quick:
        cfg = replace(cfg, **QUICK)  # type: ignore[arg-type]
    overrides = {name: getattr(args, name) for name in SIZES if getattr(args, name) is not None}
    cfg = replace(cfg, **overrides, storm_profile=args.storm_profile)
    if args.profile is not None:
        cfg = replace(cfg, profile=args.profile)
    if (cfg.profile or cfg.storm_profile) and not profile.available():
        print("py-spy not found: no profiles", file=sys.stderr)
        cfg = replace(cfg, profile=False, storm_profile=False)
    return cfg


def raise_fd_limit() -> None:
    """Ten thousand connections need as many descriptors, in the servers and the generator."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def versions() -> dict[str, str]:
    found = {}
    for name in (
        "chatserver",
        "tornado",
        "sqlalchemy",
        "aiosqlite",
        "asyncpg",
        "python-socketio",
        "python-engineio",
        "aiohttp",
    ):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    return found


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        return ""


def uncommitted() -> int:
    """Files under chatserver/ that differ from the commit: the server measured is not exactly it."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "chatserver"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except OSError:
        return 0
    return len(status.stdout.splitlines())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = (args.out or ROOT / "bench-results" / stamp).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cfg = config(args, out)
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = (
        (set(chosen) - set(WORKLOADS)) | (set(servers) - {"ours", "sio"}) | (set(backends) - {"sqlite", "postgres"})
    )
    if unknown:
        print(f"unknown workload, server or backend: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    raise_fd_limit()
    rec = Recorder(out / "results.jsonl")
    command = "python -m scripts.bench.run " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    started = time.time()
    rec.add(
        {
            "type": "run",
            "phase": "start",
            "command": command,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "loadavg": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "commit": git_commit(),
            "uncommitted_files": uncommitted(),
            "versions": versions(),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()},
            "workloads": chosen,
            "servers": servers,
            "backends": backends,
        }
    )
    secret = secrets.token_urlsafe(32)
    try:
        for backend in backends:
            for workload in chosen:
                run_workload(rec, cfg, workload, backend, servers, secret)
    finally:
        rec.add(
            {
                "type": "run",
                "phase": "end",
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(time.time() - started, 1),
                "loadavg": [round(x, 2) for x in os.getloadavg()],
            }
        )
        rec.close()
    report.write_markdown(rec.records, out / "report.md", out)
    if args.docs:
        report.update_docs(rec.records, args.docs.resolve())
    print(f"results: {out / 'results.jsonl'}, report: {out / 'report.md'}", file=sys.stderr)
    return 0


def run_workload(rec: Recorder, cfg: Config, workload: str, backend: str, servers: list[str], secret: str) -> None:
    from chatserver.usecases.tokens import issue_token

    extra = {"pairs": cfg.pairs, "cluster": cfg.pairs, "idle": cfg.idle_businesses - 1}
    extra["storm"] = storm.CHAT_PAIRS + cfg.storm_businesses
    extra["dashboard"] = 1  # the extreme variant's business
    db = Database(backend, cfg.out, extra_businesses=extra.get(workload, 0)).create()
    try:
        token = issue_token(secret, sub="staff-bench", role="staff", name="Bench Staff", business_id=db.business_id)
        # the businesses whose rooms have a staff member: storm's chatting pairs; idle and
        # dashboard (which makes its own) none
        staffed = {"storm": db.pair_businesses[: storm.CHAT_PAIRS], "idle": [], "dashboard": []}.get(
            workload, db.pair_businesses
        )
        pair_businesses = [
            (business, issue_token(secret, sub=f"staff-{i}", role="staff", name="Bench Staff", business_id=business))
            for i, business in enumerate(staffed)
        ]
        instances = 2 if workload == "cluster" else 1
        make: dict[str, Callable[[], list[Server]]] = {}
        tag = secrets.token_hex(4)
        if "ours" in servers:
            if workload == "cluster" and not ours_has_redis_broker():
                rec.add(
                    {
                        "type": "pending",
                        "workload": workload,
                        "backend": backend,
                        "server": "ours",
                        "reason": "this chatserver has no Redis broker yet (issue 3): REDIS_URL is not used",
                    }
                )
            else:
                make["ours"] = lambda: [
                    ours(db, secret, cfg.out, redis_prefix=f"bench{tag}:" if instances > 1 else "")
                    for _ in range(instances)
                ]
        if "sio" in servers:
            make["sio"] = lambda: [
                reference(secret, cfg.out, redis_channel=f"bench-{tag}" if instances > 1 else "")
                for _ in range(instances)
            ]
        if not make:
            return
        common: dict[str, Any] = {"backend": backend}
        if workload in ("pairs", "cluster"):
            workloads.pairs(rec, cfg, make, businesses=pair_businesses, workload=workload, **common)
        elif workload == "fanout":
            workloads.fanout(rec, cfg, make, business=db.business_id, token=token, **common)
        elif workload == "connect":
            workloads.connect(rec, cfg, make, business=db.business_id, **common)
        elif workload == "idle":
            storm.idle(rec, cfg, make, businesses=[db.business_id, *db.pair_businesses], **common)
        elif workload == "storm":
            for server in make.keys() - {"ours"}:
                storm.skipped(server)
            if "ours" in make:
                storm_businesses = db.pair_businesses[storm.CHAT_PAIRS :]
                storm.storm(
                    rec, cfg, make["ours"], chat_businesses=pair_businesses, storm_businesses=storm_businesses, **common
                )
        elif workload == "dashboard":
            for server in make.keys() - {"ours"}:
                dashboard.skipped(server)
            if "ours" in make:

                def staff_token(business: str, sub: str) -> str:
                    return issue_token(secret, sub=sub, role="staff", name=sub.title(), business_id=business)

                businesses = [db.business_id, *db.pair_businesses]
                dashboard.dashboard(rec, cfg, make["ours"], businesses=businesses, token=staff_token, **common)
    finally:
        db.drop()


if __name__ == "__main__":
    sys.exit(main())
