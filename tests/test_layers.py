"""The shape the style guide asks for: the domain imports no framework or driver, and only the
Redis modules import redis (checked on the source and in a fresh interpreter)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chatserver"


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_redis_modules_import_redis():
    importers = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if "redis" in imported_roots(path)
    )
    assert importers, "the Redis modules were not found"
    assert all(Path(name).name.startswith("redis") for name in importers), importers


def test_the_domain_loads_no_framework_driver_or_exporter():
    code = (
        "import sys, json\n"
        "import chatserver.chat.gateway, chatserver.chat.hub, chatserver.chat.service, chatserver.chat.presence\n"
        "print(json.dumps(sorted(m for m in ('tornado', 'redis', 'sqlalchemy', 'prometheus_client') "
        "if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == []
