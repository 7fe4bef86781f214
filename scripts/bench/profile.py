"""Sampling profiles of a server under load (py-spy), reduced to costs per message.

py-spy samples every thread's Python stack ``RATE`` times a second without stopping the process
(``--nonblocking``), idle threads included, and writes collapsed stacks (one ``a;b;c count``
line per distinct stack; speedscope and flamegraph.pl open the file as it is). Here each sample
is given to its thread (the event loop, or a database driver thread), marked idle when the
thread waits for work, and otherwise charged to the component of the innermost frame that
belongs to a known library, and to every function of the server's own code (and, for the reference, of python-socketio)
on its stack.
Dividing by the messages delivered while sampling gives milliseconds of thread time per message.
"""

from __future__ import annotations

import linecache
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

RATE = 250  # samples per second per thread

# the innermost frame whose file path matches decides the component of a busy sample
COMPONENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rf"(^|/)({dirs})(/|\.py$)"))
    for name, dirs in (
        ("jsonschema (payload validation)", "jsonschema|referencing|rpds|jsonschema_specifications"),
        ("json encode/decode", "json"),
        ("SQLAlchemy", "sqlalchemy"),
        ("aiosqlite / sqlite3", "aiosqlite|sqlite3"),
        ("asyncpg", "asyncpg"),
        ("tornado (HTTP, WebSocket, IOStream)", "tornado"),
        ("python-socketio / engineio", "socketio|engineio"),
        ("aiohttp", "aiohttp"),
        ("redis", "redis"),
        ("PyJWT", "jwt"),
        ("logging", "logging|structlog"),
        ("asyncio event loop", "asyncio"),
        ("chatserver code", "chatserver"),
        ("reference server code", "sio_server"),
    )
)
APP_CODE = re.compile(r"(^|/)(chatserver|socketio|engineio)/|sio_server\.py$")  # listed function by function
IDLE_MODULES = re.compile(r"(^|/)(selectors|threading|queue)\.py$")
IDLE_CALL = re.compile(r"\.(get|wait|select|poll|acquire)\(")  # a thread blocked in C waiting for work
FRAME = re.compile(r"^(?P<name>.*) \((?P<path>.*):(?P<line>\d+)\)$")


def available() -> bool:
    return shutil.which("py-spy") is not None or (Path(sys.executable).parent / "py-spy").exists()


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, int(seconds))),
            "--rate",
            str(RATE),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--threads",
            "--idle",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _split(frame: str) -> tuple[str, str]:
    """``name (path:line)`` -> (name, path as py-spy shortened it)."""
    match = FRAME.match(frame)
    if match is None:
        return frame, ""
    return match["name"], match["path"].split("site-packages/")[-1]


def _source(path: str, line: int) -> str:
    for base in sys.path:
        if base and (Path(base) / path).exists():
            return linecache.getline(str(Path(base) / path), line)
    return ""


def _idle(leaf: str) -> bool:
    """Waiting for work: in selectors/threading/queue, or a library line blocked in ``.get(`` etc."""
    match = FRAME.match(leaf)
    if match is None:
        return False
    path = match["path"].split("site-packages/")[-1]
    if IDLE_MODULES.search(path):
        return True
    return not APP_CODE.search(path) and bool(IDLE_CALL.search(_source(path, int(match["line"]))))


def _component(stack: list[str]) -> str:
    for frame in reversed(stack):
        path = _split(frame)[1]
        for name, pattern in COMPONENTS:
            if pattern.search(path):
                return name
    return "other (stdlib, C calls)"


def analyze(path: Path) -> dict[str, Any]:
    """Samples per thread role, busy samples per component, and per app function (inclusive)."""
    threads: dict[str, Counter[str]] = {}
    stacks: list[tuple[str, list[str], int]] = []
    for line in path.read_text().splitlines():
        head, _, count = line.rpartition(" ")
        if not head or not count.isdigit():
            continue
        frames = head.split(";")
        thread, stack = frames[0], frames[1:]
        stacks.append((thread, stack, int(count)))
        threads.setdefault(thread, Counter())["total"] += int(count)
    roles: dict[str, str] = {}
    for thread, stack, _ in stacks:
        text = ";".join(stack)
        if thread.endswith("MainThread") or "run_forever" in text:
            roles[thread] = "event loop"
        elif thread not in roles and "aiosqlite/" in text:
            roles[thread] = "database driver thread"
    busy: dict[str, Counter[str]] = {}
    components: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    driver_leaves: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for thread, stack, count in stacks:
        role = roles.get(thread, "other threads")
        total[role] += count
        if not stack or _idle(stack[-1]):
            continue
        busy.setdefault(role, Counter())["busy"] += count
        if role == "event loop":
            components[_component(stack)] += count
            seen = set()
            for frame in stack:
                name, file = _split(frame)
                if APP_CODE.search(file):
                    key = f"{file.removeprefix('chatserver/')}:{name}"
                    if key not in seen:
                        seen.add(key)
                        functions[key] += count
        elif role == "database driver thread":
            name, file = _split(stack[-1])
            driver_leaves[f"{file}:{name}"] += count
    for key in [k for k in functions if k.endswith((":<module>", ":main"))]:
        del functions[key]  # entry points: on (nearly) every stack, they say nothing
    return {
        "samples": dict(total),
        "busy": {role: c["busy"] for role, c in busy.items()},
        "components": components,
        "functions": functions,
        "driver_leaves": driver_leaves,
    }


def summarize(path: Path, step: dict[str, Any]) -> dict[str, Any]:
    """The profile record: milliseconds of thread time per delivered message, by cost."""
    record: dict[str, Any] = {
        "type": "profile",
        "workload": step["workload"],
        "backend": step["backend"],
        "server": step["server"],
        "offered_per_s": step["offered_per_s"],
        "delivered_per_s": step["delivered_per_s"],
        "server_cpu_pct": step["server_cpu_pct"],
        "server_cpu_us_per_msg": step["server_cpu_us_per_msg"],
        "file": path.name,
    }
    if not path.exists():
        return {**record, "reason": "py-spy wrote no profile (is ptrace allowed?)"}
    result = analyze(path)
    loop_samples = result["samples"].get("event loop", 0)
    if not loop_samples or not step["delivered_per_s"]:
        return {**record, "reason": "no event-loop samples"}
    seconds = loop_samples / RATE  # wall time the profile covered
    messages = step["delivered_per_s"] * seconds
    us = 1e6 / RATE / messages  # microseconds per message that one sample stands for

    def per_msg(counter: Counter[str], top: int) -> list[list[Any]]:
        return [[name, round(n * us, 1), round(100 * n / loop_samples, 1)] for name, n in counter.most_common(top)]

    return {
        **record,
        "seconds": round(seconds, 1),
        "messages": round(messages),
        "busy_pct": {
            role: round(100 * n / result["samples"][role], 1)
            for role, n in result["busy"].items()
            if result["samples"][role]
        },
        "loop_busy_us_per_msg": round(result["busy"].get("event loop", 0) * us, 1),
        "components": per_msg(result["components"], 14),
        "functions": per_msg(result["functions"], 18),
        "driver_leaves": per_msg(result["driver_leaves"], 6),
    }
