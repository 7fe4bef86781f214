"""The ``idle`` and ``storm`` workloads: what a server costs between conversations, and when
every guest comes back at once.

* ``idle``: ``--idle-businesses`` businesses, each made active by one guest (join, one message,
  so the server's per-business caches are filled, then disconnect); once the server's CPU has
  settled, its CPU over ``--idle-seconds`` without any traffic (target ≤ 2 % of a core).
* ``storm`` (chatserver only: the reference has no guest sessions to resume):
  ``--storm-guests`` guests register, join a room (spread over ``--storm-businesses``
  businesses) and send one message, then all disconnect. Two chatting pairs (a guest and a
  staff member in their own room and business) exchange messages both ways at
  ``--storm-chat-rate`` msg/s each way; after a few seconds of that, every storm guest
  reconnects with its sessionId, ``--storm-concurrency`` at a time across the generator
  processes, and rejoins its room with ``afterSeq``. Bounded by ``--storm-timeout``.
  ``--storm-profile`` samples the server with py-spy for the storm's first 10 s (py-spy takes
  CPU from the same two cores: the storm's figures are then not comparable).

The chatting pairs run in a generator process of their own, so the storm's generator work does
not delay their sends or the reading of their acks.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.bench import profile
from scripts.bench.config import Config
from scripts.bench.pool import Workers, generator_usage
from scripts.bench.procstat import schedstat, threads_usage, wakeups
from scripts.bench.records import Recorder
from scripts.bench.servers import Server
from scripts.bench.stats import Histogram
from scripts.bench.workloads import START_DELAY_NS, _split, open_pairs, opening_failures, running

IDLE_TARGET_PCT = 2.0
STORM_TARGETS = {"seconds": 20.0, "ack_p99_ms": 250.0, "server_cpu_ms_per_guest": 1.0}
CHAT_PAIRS = 2
BEFORE_STORM_S = 3.0  # the pairs chat this long before the storm: their latency on a quiet server
STORM_PROFILE_S = 10  # py-spy samples the server this long from the storm's start
UVLOOP_WAIT = re.compile(r";(Runner\.run \([^;]*asyncio/runners\.py:\d+\)|run \([^;]*uvloop/__init__\.py:\d+\))$")


def idle(
    rec: Recorder, cfg: Config, make: dict[str, Callable[[], list[Server]]], *, businesses: list[str], backend: str
) -> None:
    for server, factory in make.items():
        with running(factory()) as instances:
            instance = instances[0]
            workers = Workers(cfg.workers, cfg.out / f"loadgen-idle-{server}.log")
            try:
                instance.settle()
                started = time.monotonic()
                chunks = _chunks(businesses, cfg.workers)
                concurrency = math.ceil(cfg.connect_concurrency / cfg.workers)
                replies = workers.ask(
                    [
                        {
                            "cmd": "activate",
                            "dialect": server,
                            "url": instance.url,
                            "businesses": chunk,
                            "concurrency": concurrency,
                            "timeout": cfg.connect_timeout,
                        }
                        for chunk in chunks
                    ]
                )
                seconds = time.monotonic() - started
            finally:
                workers.close()  # no generator process left: nothing at all reaches the server
            settled = time.monotonic()
            instance.settle(idle_percent=5.0, timeout=60.0)
            time.sleep(1.0)
            settle_s = time.monotonic() - settled
            assert instance.ps is not None
            ctx0, cpu0, t0 = wakeups(instance.pid), instance.cpu_seconds(), time.monotonic()
            time.sleep(cfg.idle_seconds)
            ctx1, cpu1, t1 = wakeups(instance.pid), instance.cpu_seconds(), time.monotonic()
            active = sum(r["active"] for r in replies)
            pct = 100 * (cpu1 - cpu0) / (t1 - t0)
            rec.add(
                {
                    "type": "idle",
                    "workload": "idle",
                    "backend": backend,
                    "server": server,
                    "businesses": len(businesses),
                    "active": active,
                    **opening_failures(replies),
                    "activate_s": round(seconds, 2),
                    "activate_per_s": round(active / seconds, 1) if seconds else 0.0,
                    "settle_s": round(settle_s, 1),
                    "idle_s": round(t1 - t0, 1),
                    "server_cpu_pct": round(pct, 2),
                    "server_cpu_ms_per_s": round(1000 * (cpu1 - cpu0) / (t1 - t0), 2),
                    "wakeups_per_s": round((ctx1 - ctx0) / (t1 - t0), 1),
                    "server_threads": instance.ps.num_threads(),
                    "server_rss_mb": round(instance.rss_bytes() / 2**20, 1),
                    "target_pct": IDLE_TARGET_PCT,
                    "meets_target": pct <= IDLE_TARGET_PCT and active == len(businesses),
                    "void": False,  # no generator process runs in the measured window
                    "loadavg_1m": round(os.getloadavg()[0], 2),
                }
            )


def storm(
    rec: Recorder,
    cfg: Config,
    make: Callable[[], list[Server]],
    *,
    chat_businesses: list[tuple[str, str]],
    storm_businesses: list[str],
    backend: str,
) -> None:
    """``chat_businesses``: (business id, staff token) of the chatting pairs."""
    with running(make()) as instances:
        server = instances[0]
        workers = Workers(cfg.workers, cfg.out / "loadgen-storm-ours.log")
        chat = Workers(1, cfg.out / "loadgen-storm-chat-ours.log", first_id=cfg.workers)
        try:
            _storm(rec, cfg, server, workers, chat, chat_businesses[:CHAT_PAIRS], storm_businesses, backend)
            workers.all({"cmd": "close"})
            chat.all({"cmd": "close"})
        finally:
            workers.close()
            chat.close()


def _storm(
    rec: Recorder,
    cfg: Config,
    server: Server,
    workers: Workers,
    chat: Workers,
    chat_businesses: list[tuple[str, str]],
    storm_businesses: list[str],
    backend: str,
) -> None:
    n = len(workers)
    per = _split(cfg.storm_guests, n)
    concurrency = max(1, math.ceil(cfg.storm_concurrency / n))
    server.settle()
    started = time.monotonic()
    prepared = workers.ask(
        [
            {
                "cmd": "storm_prepare",
                "url": server.url,
                "count": k,
                "first": sum(per[:i]),
                "businesses": storm_businesses,
                "concurrency": concurrency,
                "timeout": cfg.storm_timeout,
            }
            for i, k in enumerate(per)
        ]
    )
    prepare_s = time.monotonic() - started
    open_pairs(chat, "ours", server.url, server.url, chat_businesses)
    server.settle(idle_percent=5.0, timeout=60.0)

    start_ns = time.monotonic_ns() + START_DELAY_NS
    storm_ns = start_ns + int(BEFORE_STORM_S * 1e9)
    chat.ask([{"cmd": "chat_start", "rate": cfg.storm_chat_rate, "start_ns": start_ns, "storm_ns": storm_ns}])
    resume = {"cmd": "storm_resume", "url": server.url, "start_ns": storm_ns, "concurrency": concurrency}
    commands: list[dict[str, Any] | None] = [{**resume, "timeout": cfg.storm_timeout} for _ in range(n)]
    workers.send(commands)
    time.sleep(max(0.0, (storm_ns - time.monotonic_ns()) / 1e9))
    gens = [workers, chat]
    cpu0, gen0, t0 = server.cpu_seconds(), [c for w in gens for c in w.cpu_per_process()], time.monotonic()
    sched0 = schedstat(server.pid)
    spy_to = cfg.out / f"profile-storm-{backend}.txt"
    spy = profile.start(server.pid, STORM_PROFILE_S, spy_to) if cfg.storm_profile else None
    replies = workers.receive(commands, timeout=cfg.storm_timeout + 60)
    cpu1, gen1, t1 = server.cpu_seconds(), [c for w in gens for c in w.cpu_per_process()], time.monotonic()
    sched1 = schedstat(server.pid)
    talk = chat.ask([{"cmd": "chat_stop", "drain": cfg.drain}])[0]
    if spy is not None:
        spy.wait(STORM_PROFILE_S + 30)

    resumed = sum(r["resumed"] for r in replies)
    failures: dict[str, int] = {}
    for r in replies:
        for kind, count in r["failures"].items():
            failures[kind] = failures.get(kind, 0) + count
    lasts = [r["last_resumed_s"] for r in replies if r["last_resumed_s"] is not None]
    during, before = talk["storm"], talk["before"]
    server_cpu_s = cpu1 - cpu0
    record: dict[str, Any] = {
        "type": "storm",
        "workload": "storm",
        "backend": backend,
        "server": "ours",
        "guests": cfg.storm_guests,
        "businesses": len(storm_businesses),
        "prepared": sum(r["prepared"] for r in prepared),
        "prepare_failed": sum(r["failed"] for r in prepared),
        "prepare_first_failure": next((r["first_failure"] for r in prepared if r["first_failure"]), None),
        "prepare_s": round(prepare_s, 1),
        "concurrency": concurrency * n,
        "resumed": resumed,
        "failed": sum(failures.values()),
        "failures": failures,
        "lost": sum(r["lost"] for r in replies),
        "first_failure": next((r["first_failure"] for r in replies if r["first_failure"]), None),
        "seconds": round(max(lasts), 2) if lasts else None,  # storm start -> last guest resumed
        "window_s": round(t1 - t0, 2),
        "resumed_per_s": round(resumed / max(lasts), 1) if lasts else 0.0,
        "resume_latency": Histogram.merged(r["resume_latency"] for r in replies).summary(),
        "resumed_since_start": Histogram.merged(r["resumed_since_start"] for r in replies).summary(),
        "caught_up_messages": sum(r["caught_up_messages"] for r in replies),
        "server_cpu_s": round(server_cpu_s, 2),
        "server_cpu_pct": round(100 * server_cpu_s / (t1 - t0), 1),
        "server_cpu_ms_per_guest": round(1000 * server_cpu_s / resumed, 3) if resumed else None,
        "server_rss_mb": round(server.rss_bytes() / 2**20, 1),
        "server_threads": threads_usage(sched0, sched1, t1 - t0),  # main: the event loop
        **generator_usage(gen0, gen1, t1 - t0, resumed, unit="guest"),
        "chat_rate_each_way": cfg.storm_chat_rate,
        "chat": {phase: _chat_summary(talk[phase]) for phase in ("before", "storm")},
        "chat_all_delivered": during["lost"] == 0 and before["lost"] == 0 and talk["duplicates"] == 0,
        "chat_errors": talk["errors"],
        "chat_max_lag_ms": talk["max_lag_ms"],
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    record["targets"] = STORM_TARGETS
    record["missed"] = _missed(record)
    record["meets_target"] = not record["missed"]
    if spy is not None:
        record["profile"] = _profile(spy_to)
    rec.add(record)


def _chat_summary(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        "sent": stats["sent"],
        "acked": stats["acked"],
        "delivered": stats["delivered"],
        "lost": stats["lost"],
        "ack_latency": Histogram.merged([stats["ack_latency"]]).summary(),
        "latency": Histogram.merged([stats["latency"]]).summary(),
    }


def _missed(r: dict[str, Any]) -> list[str]:
    """The storm targets this run missed, in words."""
    ack_p99 = r["chat"]["storm"]["ack_latency"]["p99_ms"]
    cpu = r["server_cpu_ms_per_guest"]
    checks = [
        (r["resumed"] == r["guests"], f"{r['guests'] - r['resumed']:,} guests not resumed"),
        (r["failed"] == 0, f"{r['failed']:,} failed"),
        (r["lost"] == 0, f"{r['lost']:,} lost"),
        (r["seconds"] is not None and r["seconds"] <= STORM_TARGETS["seconds"], "not all resumed within 20 s"),
        (not math.isnan(ack_p99) and ack_p99 <= STORM_TARGETS["ack_p99_ms"], "chat ack p99 above 250 ms"),
        (r["chat_all_delivered"], "chat messages lost or duplicated"),
        (cpu is not None and cpu <= STORM_TARGETS["server_cpu_ms_per_guest"], "over 1 ms server CPU per guest"),
    ]
    return [text for ok, text in checks if not ok]


def _profile(path: Path) -> dict[str, Any]:
    """Where the event loop's time went: top components and chatserver functions (inclusive),
    as % of the event loop's samples. Under uvloop a loop waiting for events has
    ``Runner.run`` as its innermost Python frame (the wait is in C), which ``profile`` counts as
    busy: here such samples are idle."""
    if not path.exists():
        return {"file": path.name, "reason": "py-spy wrote no profile (is ptrace allowed?)"}
    result = profile.analyze(path)
    loop = result["samples"].get("event loop", 0)
    if not loop:
        return {"file": path.name, "reason": "no event-loop samples"}
    samples: Counter[str] = Counter()
    busy_by_thread: Counter[str] = Counter()
    components = Counter(result["components"])
    for line in path.read_text().splitlines():
        head, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        thread, *stack = head.split(";")
        name = thread.split(": ", 1)[-1]
        samples[name] += int(count)
        if not stack or _waiting(stack[-1]):
            continue
        if name == "MainThread" and UVLOOP_WAIT.search(head):
            components[profile._component(stack)] -= int(count)
            continue
        busy_by_thread[name] += int(count)
    busy = busy_by_thread["MainThread"]

    def top(counter: Any, n: int) -> list[list[Any]]:
        # entry points (the CLI, the loop's runner) are on nearly every busy stack: left out
        rows = [(name, count) for name, count in counter.most_common(n + 4) if count < 0.8 * busy]
        return [[name, round(100 * count / loop, 1)] for name, count in rows[:n]]

    return {
        "file": path.name,
        "seconds": round(loop / profile.RATE, 1),
        "threads_busy_pct": {name: round(100 * busy_by_thread[name] / n, 1) for name, n in samples.items()},
        "components": top(+components, 10),
        "functions": top(result["functions"], 15),
    }


def _waiting(leaf: str) -> bool:
    """``profile``'s idle rule, and also chatserver's own threads blocked in ``.get(`` etc. (the
    SQLite writer waiting for work), which ``profile`` counts as busy."""
    match = profile.FRAME.match(leaf)
    if profile._idle(leaf) or match is None:
        return profile._idle(leaf)
    path = match["path"].split("site-packages/")[-1]
    return bool(profile.IDLE_CALL.search(profile._source(path, int(match["line"]))))


def _chunks(items: list[str], parts: int) -> list[list[str]]:
    sizes = _split(len(items), parts)
    return [items[sum(sizes[:i]) : sum(sizes[: i + 1])] for i in range(parts)]


def skipped(server: str) -> None:
    print(f"storm: {server} skipped (the reference server has no guest sessions to resume)", file=sys.stderr)
