"""The run's records: appended to ``results.jsonl`` as they come, with one progress line each."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

NAMES = {"ours": "chatserver", "sio": "python-socketio"}  # the servers, as the report names them


class Recorder:
    """Appends records to ``results.jsonl`` as they come, so a broken run keeps what it measured."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[dict[str, Any]] = []
        self._file = path.open("a")

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        self.records.append(record)
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        print(describe(record), file=sys.stderr, flush=True)
        return record

    def close(self) -> None:
        self._file.close()


def describe(record: dict[str, Any]) -> str:
    """One progress line per record."""
    kind = record["type"]
    where = f"{record.get('workload', '')}/{record.get('backend', '')}/{record.get('server', '')}"
    if kind == "step":
        lat = record["latency"]
        return (
            f"[{where}] {record['phase']} offered {record['offered_per_s']:.0f}/s -> delivered "
            f"{record['delivered_per_s']:.0f}/s p50 {lat['p50_ms']}ms p99 {lat['p99_ms']}ms "
            f"cpu {record['server_cpu_pct']:.0f}% gen {record['gen_cpu_pct']:.0f}% "
            f"{'ok' if record['keeps_up'] else 'SATURATED'}{' VOID' if record.get('void') else ''}"
        )
    if kind == "idle":
        return (
            f"[{where}] {record['active']}/{record['businesses']} businesses active in {record['activate_s']:.1f}s; "
            f"idle {record['idle_s']:.0f}s: server CPU {record['server_cpu_pct']:.2f}% "
            f"({record['wakeups_per_s']:.0f} wake-ups/s)"
        )
    if kind == "storm":
        chat = record["chat"]["storm"]
        return (
            f"[{where}] storm: {record['resumed']}/{record['guests']} resumed in {record['seconds']}s, "
            f"{record['failed']} failed, {record['lost']} lost, {record['server_cpu_ms_per_guest']} ms CPU each; "
            f"chat ack p99 {chat['ack_latency']['p99_ms']}ms, lost {chat['lost']}; "
            f"gen busiest {record['gen_max_process_cpu_pct']:.0f}%{' VOID' if record['void'] else ''}"
        )
    if kind == "dashboard":
        chat = record["chat"]["window"]["latency"]
        return (
            f"[{where}] dashboard {record['variant']}: {record['staff']} staff, {record['rooms']} rooms, "
            f"{record['offered_per_s']:.0f} msg/s offered, {record['acked_per_s']:.0f} acked/s, "
            f"ack p99 {record['ack_latency']['p99_ms']}ms, cpu {record['server_cpu_pct']:.0f}% "
            f"({record['server_cpu_us_per_msg']} µs/msg); {record['updates_per_view_per_s']['mean']} updates/s "
            f"per staff; stale rooms {record['stale_rooms']}, reflect max {record['reflect_delay']['max_ms']}ms; "
            f"chat p99 {chat['p99_ms']}ms; gen busiest {record['gen_max_process_cpu_pct']:.0f}%"
            f"{' VOID' if record['void'] else ''}{'' if record['meets_target'] else ' NOT MET'}"
        )
    if kind == "connect":
        return (
            f"[{where}] {record['opened']}/{record['connections']} connections in {record['seconds']:.1f}s, "
            f"{record['rss_per_conn_kib']:.1f} KiB RSS each"
        )
    if kind == "run":
        return f"run {record['phase']}: load average {record['loadavg']}"
    if kind == "profile":
        top = ", ".join(f"{name} {us}" for name, us, _ in record.get("components", [])[:4])
        return f"[{where}] profile: {record.get('reason') or f'event loop µs/msg: {top}'}"
    if kind == "summary":
        return f"[{where}] saturation {record['saturation_per_s']:.0f}/s"
    return f"[{where}] {kind}: {record.get('reason', '')}"
