"""The domain and the wire contract stay free of transport and storage libraries."""

from __future__ import annotations

import subprocess
import sys


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def test_domain_imports_no_tornado_sqlalchemy_or_redis():
    loaded = _modules_after_import("chatserver.chat.gateway, chatserver.chat.service, chatserver.chat.hub")
    for forbidden in ("tornado", "sqlalchemy", "redis", "aiosqlite", "asyncpg"):
        assert forbidden not in loaded, f"the domain pulls in {forbidden}"


def test_protocol_imports_nothing_of_the_rest():
    loaded = _modules_after_import("chatserver.protocol")
    assert not [m for m in loaded if m.startswith("chatserver.") and not m.startswith("chatserver.protocol")]
