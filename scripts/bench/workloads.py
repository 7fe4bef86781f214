"""The workloads: ``pairs``, ``fanout``, ``connect``, ``cluster``, each run against both servers
(``idle`` and ``storm`` are in ``storm.py``).

Every measured step becomes one record (see ``Recorder``). Rate sweeps interleave the servers
step by step — ours, then the reference, then the reference, then ours… — so both see the same
machine conditions, and each waits until the servers are idle again before it starts.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.bench import profile
from scripts.bench.config import Config as Config  # re-exported: the runner's sizes
from scripts.bench.pool import Workers, generator_usage
from scripts.bench.records import Recorder
from scripts.bench.servers import Server
from scripts.bench.stats import Histogram, keeps_up

START_DELAY_NS = 200_000_000  # workers get their command before the step's common start


@dataclass
class Target:
    """One server (one or two instances) with the generator connections set up against it."""

    server: str  # "ours" or "sio"
    instances: list[Server]
    workers: Workers
    per_message: int = 1  # deliveries expected for each message sent
    senders: list[int] = field(default_factory=list)  # workers that send
    receivers_by_worker: list[int] = field(default_factory=list)
    sample_every: int = 1

    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds() for s in self.instances)

    def rss_bytes(self) -> int:
        return sum(s.rss_bytes() for s in self.instances)


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def measure(
    rec: Recorder,
    target: Target,
    rate: float,
    cfg: Config,
    *,
    workload: str,
    backend: str,
    phase: str,
    profile_to: Path | None = None,
) -> dict[str, Any]:
    """One step at ``rate`` messages/s; server CPU is read over the measured window only."""
    for instance in target.instances:
        instance.settle()
    n = len(target.workers)
    commands: list[dict[str, Any] | None] = [
        {
            "cmd": "measure",
            "rate": rate / len(target.senders) if i in target.senders else 0,
            "duration": cfg.duration,
            "warmup": cfg.warmup,
            "drain": cfg.drain,
            "fanout": target.receivers_by_worker[i] if target.per_message > 1 else 1,
            "sample_every": target.sample_every,
            "pad": cfg.pad,
        }
        for i in range(n)
    ]
    load_before = os.getloadavg()[0]
    spy: subprocess.Popen[bytes] | None = None
    start_ns = time.monotonic_ns() + START_DELAY_NS  # CLOCK_MONOTONIC: the same in every process
    for command in commands:
        if command is not None:
            command["start_ns"] = start_ns
    start = start_ns / 1e9
    target.workers.send(commands)
    _sleep_until(start + cfg.warmup)
    if profile_to is not None:
        spy = profile.start(target.instances[0].pid, cfg.duration - cfg.warmup, profile_to)
    cpu0, gen0, t0 = target.cpu_seconds(), target.workers.cpu_per_process(), time.monotonic()
    _sleep_until(start + cfg.duration)
    cpu1, gen1, t1 = target.cpu_seconds(), target.workers.cpu_per_process(), time.monotonic()
    rss = target.rss_bytes()
    replies = target.workers.receive(commands)
    if spy is not None:
        spy.wait(60)
    window = replies[0]["window_s"]
    sent = sum(r["sent_measured"] for r in replies)
    expected = sent * target.per_message
    delivered_window = sum(r["delivered_in_window"] for r in replies)
    delivered = sum(r["delivered_measured"] for r in replies)
    messages_in_window = delivered_window / target.per_message
    step = {
        "type": "step",
        "workload": workload,
        "backend": backend,
        "server": target.server,
        "instances": len(target.instances),
        "phase": phase,
        "offered_per_s": round(rate, 1),
        "sent_per_s": round(sent / window, 1),
        "expected_per_s": round(expected / window, 1),
        "delivered_per_s": round(delivered_window / window, 1),
        "expected": expected,
        "per_message": target.per_message,
        "window_s": round(window, 3),
        "undelivered": max(0, expected - delivered),
        "acked": sum(r["acked"] for r in replies),
        "errors": sum(r["errors"] for r in replies),
        "closed": sum(r["closed"] for r in replies),
        "latency": Histogram.merged(r["latency"] for r in replies).summary(),
        "ack_latency": Histogram.merged(r["ack_latency"] for r in replies).summary(),
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
        "server_cpu_us_per_msg": round(1e6 * (cpu1 - cpu0) / messages_in_window, 1) if messages_in_window else None,
        "server_rss_mb": round(rss / 2**20, 1),
        **generator_usage(gen0, gen1, t1 - t0, messages_in_window),
        "gen_max_lag_ms": max(r["max_lag_ms"] for r in replies),
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    step["keeps_up"] = keeps_up(step)
    if spy is not None and profile_to is not None:
        step["profile"] = str(profile_to)
    return rec.add(step)


def sweep(
    rec: Recorder, targets: list[Target], cfg: Config, *, start: float, workload: str, backend: str
) -> dict[str, list[dict[str, Any]]]:
    """Raise each server's rate by ``cfg.factor`` until it stops keeping up, then try once
    between the last rate it kept up with and the first it did not; servers take turns."""
    state = {t.server: {"rate": start, "ok": None, "fail": None, "refined": False, "done": False} for t in targets}
    steps: dict[str, list[dict[str, Any]]] = {t.server: [] for t in targets}
    turn = 0
    while not all(s["done"] for s in state.values()):
        for target in targets if turn % 2 == 0 else list(reversed(targets)):
            st = state[target.server]
            if st["done"]:
                continue
            rate = st["rate"]
            step = measure(rec, target, rate, cfg, workload=workload, backend=backend, phase="sweep")
            steps[target.server].append(step)
            if step["keeps_up"]:
                st["ok"] = rate if st["ok"] is None else max(st["ok"], rate)
            else:
                st["fail"] = rate if st["fail"] is None else min(st["fail"], rate)
            st["rate"], st["refined"], st["done"] = _next_rate(st, cfg)
        turn += 1
    return steps


def _next_rate(st: dict[str, Any], cfg: Config) -> tuple[float, bool, bool]:
    rate, ok, fail, refined = st["rate"], st["ok"], st["fail"], st["refined"]
    if fail is None:
        nxt = rate * cfg.factor
        return nxt, refined, nxt > cfg.max_rate
    if ok is None:  # even the first rate was too much: step down
        nxt = rate / cfg.factor
        return nxt, refined, nxt < 1
    if not refined and fail / ok > 1.2:
        return math.sqrt(ok * fail), True, False
    return rate, refined, True


def summarize(
    rec: Recorder, steps: list[dict[str, Any]], *, workload: str, backend: str, server: str
) -> dict[str, Any]:
    """Saturation and the highest rate kept up with, from the steps that are not void (where a
    generator process neared a core, the generator may have set the pace)."""
    valid = [s for s in steps if not s.get("void")]
    sustained = [s["offered_per_s"] for s in valid if s["keeps_up"]]
    return rec.add(
        {
            "type": "summary",
            "workload": workload,
            "backend": backend,
            "server": server,
            "saturation_per_s": max((s["delivered_per_s"] for s in valid), default=0.0),
            "max_sustained_offered_per_s": max(sustained, default=0.0),
            "void_steps": len(steps) - len(valid),
        }
    )


@contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for server in servers:
            started.append(server.start())
        yield started
    finally:
        for server in started:
            server.stop()


def pairs(
    rec: Recorder,
    cfg: Config,
    make: dict[str, Callable[[], list[Server]]],
    *,
    businesses: list[tuple[str, str]],
    backend: str,
    workload: str = "pairs",
) -> None:
    """``cfg.pairs`` rooms of a guest and a staff member each (split across instances when a
    server has two), guests sending; sweep, then a step at half of each one's saturation.
    ``businesses``: one (business id, staff token) per room."""
    with ExitStack() as stack:
        targets = []
        for server, factory in make.items():
            instances = stack.enter_context(running(factory()))
            workers = Workers(cfg.workers, cfg.out / f"loadgen-{workload}-{server}.log")
            stack.callback(workers.close)
            guest_url, staff_url = instances[0].url, instances[-1].url
            per = open_pairs(workers, server, guest_url, staff_url, businesses)
            targets.append(
                Target(server, instances, workers, senders=[i for i, k in enumerate(per) if k], receivers_by_worker=per)
            )
        steps = sweep(rec, targets, cfg, start=cfg.start_rate, workload=workload, backend=backend)
        for target in targets:
            summary = summarize(rec, steps[target.server], workload=workload, backend=backend, server=target.server)
            half = summary["saturation_per_s"] / 2
            if half > 0:
                measure(rec, target, half, cfg, workload=workload, backend=backend, phase="half")
            if cfg.profile and workload == "pairs" and half > 0:
                out = cfg.out / f"profile-{backend}-{target.server}.txt"
                step = measure(
                    rec, target, half, cfg, workload=workload, backend=backend, phase="profile", profile_to=out
                )
                rec.add(profile.summarize(out, step))


def fanout(
    rec: Recorder,
    cfg: Config,
    make: dict[str, Callable[[], list[Server]]],
    *,
    business: str,
    token: str,
    backend: str,
) -> None:
    """One room, ``cfg.fanout_members`` staff members, one guest sending; deliveries/s."""
    with ExitStack() as stack:
        targets = []
        for server, factory in make.items():
            instances = stack.enter_context(running(factory()))
            workers = Workers(cfg.workers, cfg.out / f"loadgen-fanout-{server}.log")
            stack.callback(workers.close)
            url = instances[0].url
            room = workers.ask(
                [{"cmd": "open_room", "dialect": server, "url": url, "business": business}] + [None] * (cfg.workers - 1)
            )
            per = _split(cfg.fanout_members, cfg.workers)
            workers.ask(
                [
                    {
                        "cmd": "join_room",
                        "dialect": server,
                        "url": url,
                        "room_id": room[0]["room_id"],
                        "k": k,
                        "staff_token": token,
                    }
                    for k in per
                ]
            )
            targets.append(
                Target(
                    server,
                    instances,
                    workers,
                    per_message=cfg.fanout_members,
                    senders=[0],
                    receivers_by_worker=per,
                    sample_every=max(1, cfg.fanout_members // 50),
                )
            )
        steps = sweep(rec, targets, cfg, start=cfg.fanout_start_rate, workload="fanout", backend=backend)
        for target in targets:
            summarize(rec, steps[target.server], workload="fanout", backend=backend, server=target.server)


def connect(
    rec: Recorder, cfg: Config, make: dict[str, Callable[[], list[Server]]], *, backend: str, business: str
) -> None:
    """``cfg.connections`` guests connect, register and join a room of ``business`` (each its own)
    on a fresh server, and stay; time, CPU and RSS."""
    for server, factory in make.items():
        with running(factory()) as instances:
            workers = Workers(cfg.workers, cfg.out / f"loadgen-connect-{server}.log")
            try:
                instance = instances[0]
                instance.settle()
                rss0, cpu0, gen0 = instance.rss_bytes(), instance.cpu_seconds(), workers.cpu_per_process()
                start = time.monotonic()
                per = _split(cfg.connections, cfg.workers)
                replies = workers.ask(
                    [
                        {
                            "cmd": "open_idle",
                            "dialect": server,
                            "url": instance.url,
                            "business": business,
                            "count": k,
                            "concurrency": cfg.connect_concurrency,
                            "timeout": cfg.connect_timeout,
                        }
                        for k in per
                    ]
                )
                seconds = time.monotonic() - start
                cpu1, gen1 = instance.cpu_seconds(), workers.cpu_per_process()
                time.sleep(1.0)
                rss1 = instance.rss_bytes()
                opened = sum(r["opened"] for r in replies)
                rec.add(
                    {
                        "type": "connect",
                        "workload": "connect",
                        "backend": backend,
                        "server": server,
                        "connections": cfg.connections,
                        "opened": opened,
                        **opening_failures(replies),
                        "seconds": round(seconds, 2),
                        "per_s": round(opened / seconds, 1) if seconds else 0.0,
                        "server_cpu_s": round(cpu1 - cpu0, 2),
                        "rss_before_mb": round(rss0 / 2**20, 1),
                        "rss_after_mb": round(rss1 / 2**20, 1),
                        "rss_per_conn_kib": round((rss1 - rss0) / max(1, opened) / 1024, 2),
                        **generator_usage(gen0, gen1, seconds, opened, unit="conn"),
                        "loadavg_1m": round(os.getloadavg()[0], 2),
                    }
                )
                workers.all({"cmd": "close"})
            finally:
                workers.close()


def open_pairs(
    workers: Workers, dialect: str, guest_url: str, staff_url: str, businesses: list[tuple[str, str]]
) -> list[int]:
    """One room per (business, staff token), split over the generator processes; returns how
    many rooms each process holds."""
    per = _split(len(businesses), len(workers))
    firsts = [sum(per[:i]) for i in range(len(per))]
    workers.ask(
        [
            {
                "cmd": "open_pairs",
                "dialect": dialect,
                "guest_url": guest_url,
                "staff_url": staff_url,
                "n": k,
                "businesses": businesses[first : first + k],
            }
            for k, first in zip(per, firsts, strict=True)
        ]
    )
    return per


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def opening_failures(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """What went wrong opening connections, summed over the generator processes' replies."""
    return {
        "failed": sum(r["failed"] for r in replies),
        "timed_out": sum(r["timed_out"] for r in replies),
        "first_failure": next((r["first_failure"] for r in replies if r["first_failure"]), None),
    }
