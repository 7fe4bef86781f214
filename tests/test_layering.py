"""The layering rule, checked: which packages may import tornado, sqlalchemy/alembic and redis.

tornado: the HTTP/WebSocket layer (``chatserver/http``, ``server.py``) and the client's
transport (``chatserver/client/transport.py``, which the conformance suite reaches through the
client). sqlalchemy and alembic: ``chatserver/store`` only. redis: ``chatserver/broker/redis.py``
and ``chatserver/shared/redis_*.py`` only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chatserver"

ALLOWED = {
    "tornado": ("http/", "server.py", "client/transport.py"),
    "sqlalchemy": ("store/",),
    "alembic": ("store/",),
    "redis": ("broker/redis", "shared/redis_"),
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_allowed_modules_import_the_infrastructure_libraries():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for library, allowed in ALLOWED.items():
            if library in imported_roots(path) and not relative.startswith(allowed):
                offenders.append(f"{relative} imports {library}")
    assert offenders == []


def test_domain_and_webhook_logic_load_without_infrastructure():
    code = (
        "import sys, chatserver.chat.service, chatserver.chat.gateway, chatserver.webhooks.worker, "
        "chatserver.webhooks.service, chatserver.webhooks.events; "
        "print(sorted(m for m in ('tornado', 'sqlalchemy', 'redis', 'alembic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
