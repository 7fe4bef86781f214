"""The report's ``idle`` and ``storm`` sections and their key figures (records from ``storm.py``)."""

from __future__ import annotations

from typing import Any

from scripts.bench.records import NAMES
from scripts.bench.tables import fmt, of, table


def _void(record: dict[str, Any]) -> str:
    return " **VOID**" if record.get("void") else ""


def headline_rows(records: list[dict[str, Any]], backend: str) -> list[list[Any]]:
    """Rows of the key-figures table: database, figure, chatserver, python-socketio, ratio."""
    rows: list[list[Any]] = []
    idle = {r["server"]: r for r in of(records, type="idle", backend=backend)}
    if idle:
        o, s = idle.get("ours", {}), idle.get("sio", {})
        n = o.get("businesses") or s.get("businesses")
        rows.append(
            [
                backend,
                f"idle: server CPU with {fmt(n)} active businesses, % of a core (target ≤ 2 %)",
                fmt(o.get("server_cpu_pct"), 2),
                fmt(s.get("server_cpu_pct"), 2),
                "",
            ]
        )
    for r in of(records, type="storm", backend=backend):
        ack = r["chat"]["storm"]["ack_latency"]
        rows += [
            [
                backend,
                f"storm: {r['guests']:,} guests resumed, seconds until the last (target ≤ 20 s){_void(r)}",
                f"{r['resumed']:,} in {fmt(r['seconds'], 1)} s",
                "–",
                "",
            ],
            [
                backend,
                "storm: server CPU per resumed guest, ms (target ≤ 1)",
                fmt(r["server_cpu_ms_per_guest"], 2),
                "–",
                "",
            ],
            [backend, "storm: chat ack p99 during the storm, ms (target ≤ 250)", fmt(ack["p99_ms"], 1), "–", ""],
        ]
    return rows


def idle_section(records: list[dict[str, Any]], backend: str) -> list[str]:
    rows = of(records, type="idle", backend=backend)
    if not rows:
        return []
    out = [f"### idle — {backend}", ""]
    out += table(
        [
            "server",
            "businesses active",
            "failed",
            "timed out",
            "activation s",
            "businesses/s",
            "settled after s",
            "idle window s",
            "server CPU %",
            "wake-ups/s (all threads)",
            "threads",
            "RSS MiB",
            "≤ 2 %",
        ],
        [
            [
                NAMES[r["server"]],
                f"{r['active']:,} / {r['businesses']:,}",
                r["failed"],
                r["timed_out"],
                r["activate_s"],
                r["activate_per_s"],
                r["settle_s"],
                r["idle_s"],
                f"{r['server_cpu_pct']:.2f}",
                r["wakeups_per_s"],
                r["server_threads"],
                r["server_rss_mb"],
                "yes" if r["meets_target"] else "no",
            ]
            for r in rows
        ],
    )
    failures = [f"{NAMES[r['server']]}: {r['first_failure']}" for r in rows if r.get("first_failure")]
    if failures:
        out += ["", "First failure: " + "; ".join(failures) + "."]
    return [*out, ""]


def storm_section(records: list[dict[str, Any]], backend: str) -> list[str]:
    out: list[str] = []
    for r in of(records, type="storm", backend=backend):
        verdict = "all met" if r["meets_target"] else "not met: " + ", ".join(r.get("missed") or ["see below"])
        out += [
            f"### storm — {backend}",
            "",
            f"{r['prepared']:,} of {r['guests']:,} guests registered, joined a room (in {r['businesses']} "
            f"businesses) and sent one message in {fmt(r['prepare_s'])} s, then disconnected; then all "
            f"reconnected with their sessionId, {r['concurrency']} at a time, and rejoined with `afterSeq`, "
            f"while two chatting pairs exchanged {fmt(r['chat_rate_each_way'], 0)} msg/s each way. "
            f"Targets (all resumed within 20 s, chat ack p99 ≤ 250 ms, 0 failed, 0 lost, ≤ 1 ms server CPU "
            f"per resumed guest): **{verdict}**.{_void(r)}",
            "",
        ]
        out += table(
            [
                "resumed",
                "failed",
                "lost",
                "s until the last",
                "resumed/s",
                "per guest p50 / p99 ms",
                "server CPU s",
                "server CPU %",
                "server CPU ms/guest",
                "RSS MiB",
                "generator CPU %",
                "generator µs/guest",
                "busiest generator process %",
            ],
            [
                [
                    f"{r['resumed']:,} / {r['guests']:,}{_void(r)}",
                    r["failed"],
                    r["lost"],
                    r["seconds"],
                    r["resumed_per_s"],
                    f"{fmt(r['resume_latency']['p50_ms'])} / {fmt(r['resume_latency']['p99_ms'])}",
                    r["server_cpu_s"],
                    r["server_cpu_pct"],
                    fmt(r["server_cpu_ms_per_guest"], 3),
                    r["server_rss_mb"],
                    r["gen_cpu_pct"],
                    r["gen_cpu_us_per_guest"],
                    r["gen_max_process_cpu_pct"],
                ]
            ],
        )
        out += [""]
        out += table(
            ["chat", "sent", "acked", "delivered", "lost", "ack p50 ms", "ack p99 ms", "ack max ms", "delivery p99 ms"],
            [
                [
                    f"{phase} the storm",
                    c["sent"],
                    c["acked"],
                    c["delivered"],
                    c["lost"],
                    c["ack_latency"]["p50_ms"],
                    c["ack_latency"]["p99_ms"],
                    c["ack_latency"]["max_ms"],
                    c["latency"]["p99_ms"],
                ]
                for phase, c in (("before", r["chat"]["before"]), ("during", r["chat"]["storm"]))
            ],
        )
        notes = []
        threads = r.get("server_threads") or {}
        if threads.get("main"):
            main, other = threads["main"], threads.get("other", {})
            notes.append(
                f"server threads during the storm: the event loop ran {main['cpu_pct']} % of the time and waited "
                f"for a core {main['runqueue_wait_pct']} %, the other threads ran {other.get('cpu_pct')} % and "
                f"waited {other.get('runqueue_wait_pct')} %"
            )
        if r["failures"]:
            notes.append("failures: " + ", ".join(f"{k} {v:,}" for k, v in r["failures"].items()))
        for key in ("first_failure", "prepare_first_failure"):
            if r.get(key):
                notes.append(f"{key.replace('_', ' ')}: `{r[key]}`")
        if r["caught_up_messages"]:
            notes.append(f"{r['caught_up_messages']:,} messages caught up by the rejoins")
        if notes:
            out += ["", "; ".join(notes) + "."]
        out += ["", *_profile(r.get("profile"))]
    return out


def _profile(p: dict[str, Any] | None) -> list[str]:
    if not p:
        return []
    if "reason" in p:
        return [f"No profile of the storm: {p['reason']}.", ""]
    busy = ", ".join(f"{role} {pct}%" for role, pct in p["threads_busy_pct"].items())
    return [
        f"py-spy during the storm's first {p['seconds']} s (`{p['file']}`; it takes CPU from the same cores): "
        f"busy share of wall time: {busy}.",
        "",
        *table(["event loop: component (innermost frame)", "% of loop samples"], p["components"]),
        "",
        *table(["event loop: chatserver function (inclusive)", "% of loop samples"], p["functions"]),
        "",
    ]
