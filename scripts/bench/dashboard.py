"""The ``dashboard`` workload (chatserver only: the reference has no room lists): what the
staff's live room lists cost, and whether they stay right.

One business; ``--dashboard-staff`` (50) staff connections that only listen, as dashboards do
(every staff connection of a business gets ``chat:room-created`` and the coalesced
``chat:room-updated`` of every room of it); ``--dashboard-rooms`` (500) guests, each joined to a
room of its own in that business (``businessId``), send ``--dashboard-rate`` (1,000) msg/s
together, round-robin, open loop, for ``--duration`` s. Meanwhile a guest and an *agent* (a staff
member who joined that guest's room with ``chat:join-room {roomId}``; a dashboard too, since it
is staff of the business) chat in one more room: the guest sends ``--dashboard-chat-rate`` (2)
msg/s to the agent (a brisk visitor: the server handles one connection's messages one after the
other, so a faster sender measures its own queue once the server lags). Then the *extreme*
variant, on a fresh server and business: ``--dashboard-staff-extreme`` (500) staff at
``--dashboard-extreme-rate`` (200) msg/s.

Measured: server CPU per message and %; the generator's CPU (void rule); the guests' ack latency;
``chat:room-updated`` frames per staff connection per second (coalescing); after the drain,
rooms whose newest row at a staff connection does not carry the room's last seq (stale: 0
expected within the coalescing window + ``--drain``), and rows older than the one before them;
the delay from a message's ack to the first row reflecting it at a few sampled connections; the
agent's chat latency.

Process layout: the listening staff connections in ``--workers`` generator processes (on
uvloop, each a bare-protocol client: ``staffview.py``); the sending guests in one of their own
and the chatting pair in another (aiohttp on asyncio's loop, as in every workload), so reading
the room-list flood delays neither the sends nor the reading of acks and chat messages.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from scripts.bench.config import Config
from scripts.bench.pool import Workers, generator_usage
from scripts.bench.procstat import schedstat, threads_usage
from scripts.bench.records import Recorder
from scripts.bench.servers import Server
from scripts.bench.stats import KEEP_UP_P99_MS, KEEP_UP_RATIO, Histogram
from scripts.bench.storm import _chat_summary
from scripts.bench.workloads import START_DELAY_NS, _split, open_pairs, running

COALESCE_S = 1.0  # chatserver's ROOM_UPDATE_COALESCE_MS: one message-driven update per room and second
SAMPLED_VIEWS = 3  # staff connections per generator process whose updates are timed
TARGETS = {"ack_p99_ms": KEEP_UP_P99_MS, "chat_p99_ms": 1000.0 * COALESCE_S, "stale_rooms": 0}
Token = Callable[[str, str], str]  # (business, staff member's sub) -> staff JWT


def dashboard(
    rec: Recorder, cfg: Config, make: Callable[[], list[Server]], *, businesses: list[str], token: Token, backend: str
) -> None:
    """``businesses``: one per variant (main, extreme), each only this workload's."""
    variants = [("main", cfg.dashboard_staff, cfg.dashboard_rate)]
    if cfg.dashboard_staff_extreme > 0:
        variants.append(("extreme", cfg.dashboard_staff_extreme, cfg.dashboard_extreme_rate))
    for (variant, staff, rate), business in zip(variants, businesses, strict=False):
        with running(make()) as instances:
            _variant(rec, cfg, instances[0], variant, staff, rate, business, token, backend)


def _variant(
    rec: Recorder,
    cfg: Config,
    server: Server,
    variant: str,
    staff: int,
    rate: float,
    business: str,
    token: Token,
    backend: str,
) -> None:
    n = cfg.workers
    views = Workers(n, cfg.out / f"loadgen-dashboard-{variant}.log", uvloop=True)
    guests = Workers(1, cfg.out / f"loadgen-dashboard-{variant}-guests.log", first_id=n)
    chat = Workers(1, cfg.out / f"loadgen-dashboard-{variant}-chat.log", first_id=n + 1)
    try:
        tokens = [token(business, f"dashboard-{i}") for i in range(staff)]
        per = _split(staff, n)
        opened = views.ask(
            [
                {"cmd": "open_dashboards", "url": server.url, "tokens": tokens[sum(per[:i]) : sum(per[: i + 1])]}
                for i in range(n)
            ]
        )
        open_rooms = {"cmd": "open_dashboard_rooms", "url": server.url, "business": business}
        rooms = guests.ask([{**open_rooms, "count": cfg.dashboard_rooms}])[0]["rooms"]
        open_pairs(chat, "ours", server.url, server.url, [(business, token(business, "agent"))])
        server.settle()
        _measure(rec, cfg, server, (views, guests, chat), variant, staff, rate, rooms, opened, backend)
        for workers in (views, guests, chat):
            workers.all({"cmd": "dashboard_close"})
    finally:
        for workers in (views, guests, chat):
            workers.close()


def _measure(
    rec: Recorder,
    cfg: Config,
    server: Server,
    gens: tuple[Workers, Workers, Workers],
    variant: str,
    staff: int,
    rate: float,
    rooms: list[str],
    opened: list[dict[str, Any]],
    backend: str,
) -> None:
    views, guests, chat = gens
    start_ns = time.monotonic_ns() + START_DELAY_NS
    warm_ns, end_ns = start_ns + int(cfg.warmup * 1e9), start_ns + int(cfg.duration * 1e9)
    window = {"start_ns": start_ns, "warmup": cfg.warmup, "duration": cfg.duration}
    views.all({"cmd": "dashboard_watch", **window, "sample": SAMPLED_VIEWS})
    talk_cmd = {"cmd": "chat_start", "rate": cfg.dashboard_chat_rate, "one_way": True, "pad": cfg.pad}
    chat.ask([{**talk_cmd, "start_ns": start_ns, "storm_ns": warm_ns}])
    send: list[dict[str, Any] | None] = [
        {"cmd": "dashboard_send", "rate": rate, **window, "drain": cfg.drain, "pad": cfg.pad}
    ]
    guests.send(send)
    load_before = os.getloadavg()[0]

    def usage() -> tuple[float, list[float], float]:
        return server.cpu_seconds(), [c for w in gens for c in w.cpu_per_process()], time.monotonic()

    time.sleep(max(0.0, (warm_ns - time.monotonic_ns()) / 1e9))
    cpu0, gen0, t0 = usage()
    sched0 = schedstat(server.pid)
    time.sleep(max(0.0, (end_ns - time.monotonic_ns()) / 1e9))
    cpu1, gen1, t1 = usage()
    sched1 = schedstat(server.pid)
    rss = server.rss_bytes()
    stop: list[dict[str, Any] | None] = [{"cmd": "chat_stop", "drain": cfg.drain}]
    chat.send(stop)
    sent = guests.receive(send)[0]
    talk = chat.receive(stop)[0]
    until_ns = end_ns + int((COALESCE_S + cfg.drain) * 1e9)
    checks = views.all(
        {
            "cmd": "dashboard_check",
            "rooms": rooms,
            "last_seqs": sent["last_seqs"],
            "acks": sent["acks"],
            "until_ns": until_ns,
        }
    )
    window_s = sent["window_s"]
    chat_in_window = cfg.dashboard_chat_rate * window_s
    messages = sent["acked_in_window"] + chat_in_window
    updates = [u for c in checks for u in c["updates"]]
    stale = [s for c in checks for s in c["stale"]]
    changed_ns = max(c["changed_ns"] for c in checks)
    per_view = [u / window_s for u in updates]
    record: dict[str, Any] = {
        "type": "dashboard",
        "workload": "dashboard",
        "backend": backend,
        "server": "ours",
        "variant": variant,
        "staff": staff,
        "staff_opened": sum(o["opened"] for o in opened),
        "staff_failed": sum(o["failed"] for o in opened),
        "rooms": len(rooms),
        "offered_per_s": round(rate, 1),
        "sent_per_s": round(sent["sent_measured"] / window_s, 1),
        "acked_per_s": round(sent["acked_in_window"] / window_s, 1),
        "window_s": round(window_s, 3),
        "sent": sent["sent"],
        "acked": sent["acked"],
        "unacked": sent["sent"] - sent["acked"] - sent["errors"],
        "errors": sent["errors"],
        "ack_latency": Histogram.merged([sent["ack_latency"]]).summary(),
        "ack_worst_ms_by_second": sent["ack_worst_ms_by_second"],  # warm-up included: start-up transients
        "gen_max_lag_ms": sent["max_lag_ms"],
        "messages_in_window": round(messages),
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
        "server_cpu_us_per_msg": round(1e6 * (cpu1 - cpu0) / messages, 1) if messages else None,
        "server_rss_mb": round(rss / 2**20, 1),
        "server_threads": threads_usage(sched0, sched1, t1 - t0),  # main: the event loop
        **generator_usage(gen0, gen1, t1 - t0, messages),
        "updates_per_s": round(sum(updates) / window_s, 1),  # chat:room-updated frames, all staff together
        "updates_per_view_per_s": _spread(per_view),
        "updates_per_room_per_s": round(sum(per_view) / max(1, len(per_view)) / (len(rooms) + 1), 3),
        "messages_per_room_per_s": round(rate / max(1, len(rooms)), 3),
        "views_current": sum(1 for s in stale if s == 0),
        "stale_rooms": sum(stale),
        "stale_max_per_view": max(stale, default=0),
        "regressions": sum(c["regressions"] for c in checks),
        "views_closed": sum(c["closed"] for c in checks),
        "last_change_after_s": round((changed_ns - end_ns) / 1e9, 3) if changed_ns else None,
        "reflect_delay": Histogram.merged(c["reflect"] for c in checks).summary(),
        "reflect_samples": sum(Histogram.merged([c["reflect"]]).count for c in checks),
        "unreflected": sum(c["unreflected"] for c in checks),
        "sampled_views": sum(c["sampled"] for c in checks),
        "chat_rate": cfg.dashboard_chat_rate,  # guest -> agent
        "chat": {"warmup": _chat_summary(talk["before"]), "window": _chat_summary(talk["storm"])},
        "chat_all_delivered": talk["before"]["lost"] == 0 and talk["storm"]["lost"] == 0 and talk["duplicates"] == 0,
        "chat_errors": talk["errors"],
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    record["keeps_up"] = _keeps_up(record)
    record["targets"] = TARGETS
    record["missed"] = _missed(record)
    record["meets_target"] = not record["missed"]
    rec.add(record)


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"mean": math.nan, "min": math.nan, "max": math.nan}
    return {
        "mean": round(sum(values) / len(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def _keeps_up(r: dict[str, Any]) -> bool:
    """The server absorbed the offered rate: every message acked by the end of the drain, acks
    in the window at ≥ 95 % of the sending rate, ack p99 within the sweep's 1 s."""
    p99 = r["ack_latency"]["p99_ms"]
    return (
        r["unacked"] == 0
        and r["errors"] == 0
        and r["acked_per_s"] >= KEEP_UP_RATIO * r["sent_per_s"] - 1 / r["window_s"]
        and not math.isnan(p99)
        and p99 <= TARGETS["ack_p99_ms"]
    )


def _missed(r: dict[str, Any]) -> list[str]:
    """The targets missed, in words. Rows older than the one before (``regressions``) are
    reported, not a target: what counts is the view after the drain."""
    chat_p99 = r["chat"]["window"]["latency"]["p99_ms"]
    checks = [
        (r["staff_opened"] == r["staff"] and r["views_closed"] == 0, "staff connections failed or closed"),
        (r["keeps_up"], "server did not keep up (acks late or missing)"),
        (r["stale_rooms"] == 0, f"{r['stale_rooms']:,} stale rooms in {r['staff'] - r['views_current']:,} views"),
        (r["chat_all_delivered"], "chat messages not delivered by the drain's end (or twice)"),
        (
            not math.isnan(chat_p99) and chat_p99 <= TARGETS["chat_p99_ms"],
            "chat p99 above the 1 s coalescing window",
        ),
    ]
    return [text for ok, text in checks if not ok]


def skipped(server: str) -> None:
    print(f"dashboard: {server} skipped (the reference server has no room lists)", file=sys.stderr)
