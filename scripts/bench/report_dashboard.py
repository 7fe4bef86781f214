"""The report's ``dashboard`` section and its key figures (records from ``dashboard.py``)."""

from __future__ import annotations

from typing import Any

from scripts.bench.tables import fmt, of, table


def _void(record: dict[str, Any]) -> str:
    return " **VOID**" if record.get("void") else ""


def _name(r: dict[str, Any]) -> str:
    return f"{r['variant']}: {r['staff']:,} staff, {r['rooms']:,} rooms, {fmt(r['offered_per_s'], 0)} msg/s"


def _chat_p99(r: dict[str, Any]) -> str:
    chat = r["chat"]["window"]
    p99 = fmt(chat["latency"]["p99_ms"], 1)
    return p99 if chat["delivered"] == chat["sent"] else f"{p99} ({chat['delivered']:,} of {chat['sent']:,} delivered)"


def headline_rows(records: list[dict[str, Any]], backend: str) -> list[list[Any]]:
    """Rows of the key-figures table: database, figure, chatserver, python-socketio, ratio."""
    rows: list[list[Any]] = []
    for r in of(records, type="dashboard", backend=backend):
        views = f"{r['stale_rooms']:,} of {r['staff'] * r['rooms']:,}"
        cpu = fmt(r["server_cpu_us_per_msg"], 0)
        rows += [
            [backend, f"dashboard {_name(r)}: server CPU per message, µs{_void(r)}", cpu],
            [backend, f"dashboard {r['variant']}: stale rooms in the staff views at the end (target 0)", views],
        ]
        if r["variant"] == "extreme":
            rows.append([backend, "dashboard extreme: the agent's chat p99, ms (target ≤ 1,000)", _chat_p99(r)])
    return [[*row, "–", ""] for row in rows]


def dashboard_section(records: list[dict[str, Any]], backend: str) -> list[str]:
    found = of(records, type="dashboard", backend=backend)
    if not found:
        return []
    verdicts = "; ".join(
        f"{r['variant']} **{'met' if r['meets_target'] else 'not met: ' + ', '.join(r['missed'])}**{_void(r)}"
        for r in found
    )
    first = found[0]
    out = [
        f"### dashboard — {backend}",
        "",
        f"chatserver only. One business; staff connections that only listen (each keeps the room list from "
        f"`chat:room-created` and `chat:room-updated`); guests, each in a room of its own, send round-robin, "
        f"open loop; an agent (a staff member who joined one more room) gets "
        f"{fmt(first['chat_rate'], 0)} msg/s from its guest. Targets (the server keeps up: every message acked, "
        f"ack p99 ≤ 1 s; every staff view current within the 1-s coalescing window + the drain; the agent's "
        f"messages all delivered, p99 ≤ 1 s): {verdicts}.",
        "",
    ]
    out += table(
        [
            "variant",
            "acked msg/s",
            "unacked",
            "ack p50 / p99 ms",
            "server CPU %",
            "server CPU µs/msg",
            "event loop ran / waited for a core %",
            "RSS MiB",
            "generator CPU %",
            "generator µs/msg",
            "busiest generator process %",
            "load 1m",
        ],
        [
            [
                _name(r) + _void(r),
                r["acked_per_s"],
                r["unacked"],
                f"{fmt(r['ack_latency']['p50_ms'])} / {fmt(r['ack_latency']['p99_ms'])}",
                r["server_cpu_pct"],
                r["server_cpu_us_per_msg"],
                _loop(r),
                r["server_rss_mb"],
                r["gen_cpu_pct"],
                r["gen_cpu_us_per_msg"],
                r["gen_max_process_cpu_pct"],
                r["loadavg_1m"][0],
            ]
            for r in found
        ],
    )
    out += [""]
    out += table(
        [
            "variant",
            "room-updated per staff connection /s (min–max)",
            "per room /s (messages per room /s)",
            "room-updated frames /s, all staff",
            "staff views current",
            "stale rooms (most in one view)",
            "rows older than the one before",
            "last view change after the last send, s",
            "ack → first row with it, p50 / p99 / max ms (samples)",
        ],
        [
            [
                r["variant"],
                f"{fmt(r['updates_per_view_per_s']['mean'])} ({fmt(r['updates_per_view_per_s']['min'])}–"
                f"{fmt(r['updates_per_view_per_s']['max'])})",
                f"{fmt(r['updates_per_room_per_s'], 2)} ({fmt(r['messages_per_room_per_s'], 2)})",
                fmt(r["updates_per_s"], 0),
                f"{r['views_current']:,} / {r['staff']:,}",
                f"{r['stale_rooms']:,} ({r['stale_max_per_view']:,})",
                r["regressions"],
                r["last_change_after_s"],
                _reflect(r),
            ]
            for r in found
        ],
    )
    out += [""]
    out += table(
        [
            "agent's chat (measured window)",
            "sent",
            "acked",
            "delivered",
            "not delivered by the drain's end",
            "ack p99 ms",
            "p50 / p99 / max ms",
        ],
        [
            [
                r["variant"],
                c["sent"],
                c["acked"],
                c["delivered"],
                c["lost"],
                c["ack_latency"]["p99_ms"],
                f"{fmt(c['latency']['p50_ms'])} / {fmt(c['latency']['p99_ms'])} / {fmt(c['latency']['max_ms'])}",
            ]
            for r in found
            for c in [r["chat"]["window"]]
        ],
    )
    older = [r for r in found if r["regressions"]]
    if older:
        out += [
            "",
            "Rows older than the one before: a staff connection got a room's row with a lower `lastSeq` than the "
            "row it had (shown until the room's next update; "
            + ", ".join(f"{r['variant']} {r['regressions']:,}" for r in older)
            + ").",
        ]
    return [*out, ""]


def _reflect(r: dict[str, Any]) -> str:
    d = r["reflect_delay"]
    never = f", {r['unreflected']:,} never" if r["unreflected"] else ""
    return f"{fmt(d['p50_ms'])} / {fmt(d['p99_ms'])} / {fmt(d['max_ms'])} ({r['reflect_samples']:,}{never})"


def _loop(r: dict[str, Any]) -> str:
    main = (r.get("server_threads") or {}).get("main")
    return f"{main['cpu_pct']} / {main['runqueue_wait_pct']}" if main else "–"
