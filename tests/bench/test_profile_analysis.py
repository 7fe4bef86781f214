"""Reducing py-spy's collapsed stacks to costs: thread roles, idle samples, components, functions."""

from __future__ import annotations

from scripts.bench import profile

LOOP = "thread (1): MainThread;run (asyncio/runners.py:118);BaseEventLoop.run_forever (asyncio/base_events.py:607)"
RECEIVE = (
    "RealtimeHandler.on_message (chatserver/adapters/http/realtime.py:68);"
    "Gateway.receive (chatserver/realtime/gateway.py:132)"
)
DRIVER = "thread (2): Thread-1 (_connection_worker_thread);Thread.run (threading.py:975)"


def test_samples_are_split_into_idle_components_and_own_functions(tmp_path, monkeypatch):
    fake = tmp_path / "aiosqlite"
    fake.mkdir()
    worker = "def worker(tx):\n    while True:\n        future, function = tx.get()\n        function()\n"
    (fake / "core.py").write_text(worker)
    monkeypatch.syspath_prepend(str(tmp_path))
    stacks = tmp_path / "profile.txt"
    stacks.write_text(
        "\n".join(
            [
                f"{LOOP};EpollSelector.select (selectors.py:468) 100",
                f"{LOOP};{RECEIVE};validate_payload (chatserver/protocol/schemas.py:80);"
                "Validator.iter_errors (jsonschema/validators.py:300) 10",
                f"{LOOP};{RECEIVE};SqlStore._append (chatserver/adapters/sql/sql.py:258);"
                "Session.execute (sqlalchemy/orm/session.py:2300) 30",
                f"{DRIVER};worker (aiosqlite/core.py:3) 120",
                f"{DRIVER};worker (aiosqlite/core.py:4) 20",
            ]
        )
        + "\n"
    )
    result = profile.analyze(stacks)

    assert result["samples"] == {"event loop": 140, "database driver thread": 140}
    assert result["busy"] == {"event loop": 40, "database driver thread": 20}
    assert result["components"] == {"jsonschema (payload validation)": 10, "SQLAlchemy": 30}
    functions = dict(result["functions"])
    assert functions["realtime/gateway.py:Gateway.receive"] == 40
    assert functions["protocol/schemas.py:validate_payload"] == 10
    assert functions["adapters/sql/sql.py:SqlStore._append"] == 30
    assert dict(result["driver_leaves"]) == {"aiosqlite/core.py:worker": 20}


def test_summary_turns_samples_into_microseconds_per_message(tmp_path):
    stacks = tmp_path / "profile.txt"
    busy = profile.RATE  # one second of samples, all busy in chatserver code
    stacks.write_text(f"{LOOP};{RECEIVE} {busy}\n")
    step = {
        "workload": "pairs",
        "backend": "sqlite",
        "server": "ours",
        "offered_per_s": 100.0,
        "delivered_per_s": 100.0,
        "server_cpu_pct": 100.0,
        "server_cpu_us_per_msg": 10_000.0,
    }
    record = profile.summarize(stacks, step)
    assert record["messages"] == 100
    assert record["loop_busy_us_per_msg"] == 10_000.0
    assert record["components"] == [["chatserver code", 10_000.0, 100.0]]
    assert "reason" in profile.summarize(tmp_path / "missing.txt", step)
