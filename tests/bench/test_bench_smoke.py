"""The benchmark harness: a tiny run against both servers produces well-formed results.

Behaviour only (every message offered at a low rate is acked and delivered, the files exist and
parse); never timing.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from scripts.bench import report
from scripts.bench.dashboard_gen import seq_of
from scripts.bench.guests import client_msg_id
from scripts.bench.pool import generator_usage
from scripts.bench.staffview import client_frame, row_of
from scripts.bench.stats import Histogram, keeps_up
from scripts.bench.workloads import Config, _next_rate
from tests.procs import ROOT


def _bench(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """``python -m scripts.bench.run ARGS --out=<tmp>/out``, which must succeed; its result and
    the records of its ``results.jsonl``."""
    result = subprocess.run(
        [sys.executable, "-m", "scripts.bench.run", *args, f"--out={tmp_path / 'out'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    return result, records


def test_quick_run_measures_both_servers_and_writes_the_report(tmp_path):
    docs = tmp_path / "performance.md"
    docs.write_text(f"# Performance\n\nHand-written analysis.\n\n{report.BEGIN}\nold\n{report.END}\n\nClosing note.\n")
    _, records = _bench(
        tmp_path,
        "--quick",
        "--backends=sqlite",
        "--workloads=pairs,connect",
        "--start-rate=10",
        "--max-rate=10",
        "--drain=15",
        "--connections=20",
        f"--docs={docs}",
    )
    kinds = {r["type"] for r in records}
    assert {"run", "step", "summary", "connect"} <= kinds

    steps = [r for r in records if r["type"] == "step"]
    assert {s["server"] for s in steps} == {"ours", "sio"}
    for step in steps:
        assert step["workload"] == "pairs" and step["backend"] == "sqlite"
        assert step["delivered_per_s"] > 0 and step["undelivered"] == 0 and step["errors"] == 0
        assert step["acked"] > 0 and step["closed"] == 0
        assert step["latency"]["p50_ms"] <= step["latency"]["p99_ms"] <= step["latency"]["max_ms"]
        assert step["server_cpu_pct"] >= 0 and step["gen_cpu_pct"] >= 0 and len(step["loadavg_1m"]) == 2

    connects = {r["server"]: r for r in records if r["type"] == "connect"}
    assert connects.keys() == {"ours", "sio"}
    assert all(c["opened"] == 20 and c["failed"] == 0 for c in connects.values())

    text = docs.read_text()
    assert "Hand-written analysis." in text and "Closing note." in text and "\nold\n" not in text
    assert "| chatserver |" in text and "| python-socketio |" in text
    assert (tmp_path / "img" / "bench-pairs-sqlite.png").stat().st_size > 0
    assert (tmp_path / "out" / "report.md").exists()


def test_histogram_percentiles_are_within_one_percent():
    hist = Histogram()
    for us in range(1, 10_001):
        hist.add(us)
    merged = Histogram.merged([hist.to_json(), Histogram().to_json()])
    assert merged.count == 10_000 and merged.max_us == 10_000
    assert math.isclose(merged.percentile(50), 5.0, rel_tol=0.02)
    assert math.isclose(merged.percentile(99), 9.9, rel_tol=0.02)
    assert math.isnan(Histogram().percentile(50))


def test_a_step_that_loses_or_lags_does_not_keep_up():
    step = {"expected_per_s": 100.0, "delivered_per_s": 99.0, "undelivered": 0, "latency": {"p99_ms": 5.0}}
    assert keeps_up(step)
    assert not keeps_up({**step, "delivered_per_s": 80.0})
    assert not keeps_up({**step, "undelivered": 3})
    assert not keeps_up({**step, "latency": {"p99_ms": 5000.0}})


def test_a_fanout_step_is_allowed_one_message_of_slack():
    step = {"expected_per_s": 1800.0, "delivered_per_s": 1700.0, "undelivered": 0, "latency": {"p99_ms": 300.0}}
    assert not keeps_up(step)
    assert keeps_up({**step, "per_message": 500, "window_s": 5.0})
    assert not keeps_up({**step, "delivered_per_s": 1500.0, "per_message": 500, "window_s": 5.0})


def test_sweep_doubles_until_saturation_then_tries_once_in_between():
    cfg = Config(factor=2.0, max_rate=10_000)
    assert _next_rate({"rate": 100, "ok": 100, "fail": None, "refined": False}, cfg) == (200, False, False)
    rate, refined, done = _next_rate({"rate": 200, "ok": 100, "fail": 200, "refined": False}, cfg)
    assert math.isclose(rate, 141.42, rel_tol=0.01) and refined and not done
    assert _next_rate({"rate": 141, "ok": 141, "fail": 200, "refined": True}, cfg)[2]
    assert _next_rate({"rate": 100, "ok": None, "fail": 100, "refined": False}, cfg)[:2] == (50, False)


def test_idle_and_storm_run_on_their_own_and_are_reported(tmp_path):
    _, records = _bench(
        tmp_path,
        "--quick",
        "--servers=ours",
        "--backends=sqlite",
        "--workloads=idle,storm",
        "--idle-businesses=20",
        "--idle-seconds=1",
        "--storm-guests=30",
        "--storm-businesses=3",
    )
    (idle,) = [r for r in records if r["type"] == "idle"]
    assert idle["active"] == idle["businesses"] == 20 and idle["failed"] == 0
    assert idle["server_cpu_pct"] >= 0 and idle["void"] is False
    (storm,) = [r for r in records if r["type"] == "storm"]
    assert storm["prepared"] == storm["resumed"] == 30
    assert storm["failed"] == storm["lost"] == 0 and storm["seconds"] > 0
    assert storm["chat_all_delivered"] and storm["chat"]["before"]["delivered"] > 0
    assert storm["server_cpu_ms_per_guest"] > 0 and isinstance(storm["void"], bool)
    text = (tmp_path / "out" / "report.md").read_text()
    assert "### idle — sqlite" in text and "### storm — sqlite" in text


def test_a_generator_process_near_a_core_voids_the_measurement():
    usage = generator_usage([1.0, 2.0], [1.5, 2.2], seconds=1.0, units=1000)
    assert usage == {"gen_cpu_pct": 70.0, "gen_cpu_us_per_msg": 700.0, "gen_max_process_cpu_pct": 50.0, "void": False}
    assert generator_usage([0.0, 0.0], [0.75, 0.1], seconds=1.0, units=0)["void"]
    assert client_msg_id('{"event":"ack","ack":3,"data":{"seq":1,"clientMsgId":"c2-7","duplicate":false}}') == "c2-7"
    assert client_msg_id('{"event":"chat:new-message","data":{"clientMsgId":null}}') is None


def test_dashboard_runs_on_its_own_and_keeps_every_staff_view_current(tmp_path):
    # one message per room every 2 s: every room-updated goes out at once (no coalescing window
    # to wait for), so the views must all be current after the drain
    result, records = _bench(
        tmp_path,
        "--quick",
        "--servers=ours,sio",
        "--backends=sqlite",
        "--workloads=dashboard",
        "--dashboard-staff=3",
        "--dashboard-rooms=10",
        "--dashboard-rate=5",
        "--dashboard-staff-extreme=6",
        "--dashboard-extreme-rate=5",
    )
    assert "dashboard: sio skipped" in result.stderr
    found = {r["variant"]: r for r in records if r["type"] == "dashboard"}
    assert found.keys() == {"main", "extreme"} and found["extreme"]["staff"] == 6
    for r in found.values():
        assert r["server"] == "ours" and r["staff_opened"] == r["staff"] and r["rooms"] == 10
        assert r["sent"] > 0 and r["unacked"] == r["errors"] == 0 and r["keeps_up"]
        assert r["views_current"] == r["staff"] and r["stale_rooms"] == 0 and r["views_closed"] == 0
        assert r["updates_per_view_per_s"]["mean"] > 0 and r["reflect_samples"] > 0 and r["unreflected"] == 0
        assert r["chat_all_delivered"] and r["chat"]["window"]["delivered"] > 0
        assert r["server_cpu_us_per_msg"] > 0 and isinstance(r["void"], bool)
    text = (tmp_path / "out" / "report.md").read_text()
    assert "### dashboard — sqlite" in text and "dashboard extreme: the agent's chat p99" in text


def test_room_rows_and_message_seqs_are_read_without_decoding():
    updated = b'{"event":"chat:room-updated","data":{"roomId":"r1","lastMessage":"x","lastSeq":12,"unreadCount":3}}'
    assert row_of(updated) == (b"r1", 12, True)
    created = b'{"event":"chat:room-created","data":{"_id":"r2","lastSeq":0,"createdAt":null}}'
    assert row_of(created) == (b"r2", 0, False)
    assert row_of(b'{"event":"chat:new-message","data":{"roomId":"r1","seq":4,"x":1}}') is None
    assert seq_of('{"event":"ack","ack":3,"data":{"_id":"m","roomId":"r","seq":41,"senderId":"g"}}') == 41
    assert seq_of('{"event":"ack","ack":3,"error":{"code":"not_found"}}') == -1
    pong = client_frame(0xA, b"hi")
    assert pong[0] == 0x8A and pong[1] == 0x82 and bytes(b ^ pong[2 + i % 4] for i, b in enumerate(pong[6:])) == b"hi"
