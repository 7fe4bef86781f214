"""Figures that reliability tests measure (cases run, clients, counts, seconds).

Each test appends one JSON line to ``test-artifacts/reliability.jsonl``; docs/reliability.md
quotes them. Recording never fails a test: figures are reported, behaviour is asserted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def record(test: str, **figures: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    line = json.dumps({"test": test, "at": time.strftime("%Y-%m-%dT%H:%M:%S"), **figures}, sort_keys=True)
    with (ARTIFACTS / "reliability.jsonl").open("a") as out:
        out.write(line + "\n")
    print(f"FIGURES {line}")
