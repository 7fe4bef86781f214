"""The signing key: no published fallback, no short key, and several instances need a shared one.

Without ``JWT_SECRET`` the embedded default (SQLite, no Redis) keeps its own generated key
(tests/cli/test_admin_commands.py); PostgreSQL or ``REDIS_URL`` means several instances, which
refuse to start without a configured key instead of signing with a secret printed in the source.
"""

from __future__ import annotations

import subprocess
import time

import jwt
import pytest

from chatserver.composition import make_verifier
from chatserver.config import Settings
from tests.procs import free_port, run_cli
from tests.rest import api
from tests.services import PG_URL, REDIS_URL

OLD_DEVELOPMENT_SECRET = "chatserver-dev-secret-change-me"  # the fallback earlier versions used


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"JWT_SECRET": "", "JWT_PUBLIC_KEY": "", "PORT": str(free_port()), "LOG_LEVEL": "WARNING"}
    try:
        return run_cli("serve", env={**base, **env}, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the server started instead of refusing")


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": PG_URL, "DATABASE_SCHEMA": "no_secret_here"},
        {"REDIS_URL": REDIS_URL},  # SQLite, but shared with other instances through Redis
    ],
    ids=["postgres", "sqlite-with-redis"],
)
def test_several_instances_without_a_key_refuse_to_start_in_one_line(env, tmp_path):
    result = _serve({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", **env})
    assert result.returncode == 2
    line = _one_line(result)
    assert line.startswith("chatserver: configuration error: JWT_SECRET is not set") and "JWT_PUBLIC_KEY" in line
    assert not (tmp_path / "n.db.secret").exists()


def test_a_short_jwt_secret_refuses_to_start(tmp_path):
    result = _serve({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}", "JWT_SECRET": "s" * 31})
    assert result.returncode == 2
    line = _one_line(result)
    assert "JWT_SECRET" in line and "31 bytes" in line and "s" * 31 not in line


def test_the_token_command_on_postgres_without_a_key_signs_nothing():
    env = {"DATABASE_URL": PG_URL, "JWT_SECRET": "", "JWT_PUBLIC_KEY": ""}
    result = run_cli("token", "--role", "customer", "--name", "Ann", env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert "JWT_SECRET is not set" in _one_line(result)


def test_no_verifier_is_built_without_a_key():
    with pytest.raises(ValueError, match="32 bytes"):
        make_verifier(Settings(database_url=PG_URL, jwt_secret=""))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # 31 bytes: the old key itself
async def test_a_token_signed_with_the_old_development_secret_opens_nothing(connect, base_url, business):
    now = int(time.time())
    claims = {"sub": "staff-eve", "role": "staff", "name": "Eve", "businessId": business, "exp": now + 600}
    forged = jwt.encode(claims, OLD_DEVELOPMENT_SECRET, algorithm="HS256")
    client = await connect(token=forged, first=False)
    frame = await client.next()
    assert frame["event"] == "error" and frame["data"]["code"] == "auth_invalid"
    assert await client.wait_closed() == 4401
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", forged)
    assert status == 401 and body["error"]["code"] == "auth_invalid"


def test_the_token_command_refuses_a_ttl_the_server_would_refuse():
    env = {"JWT_SECRET": "t" * 32, "JWT_MAX_LIFETIME": "3600"}
    result = run_cli("token", "--role", "customer", "--name", "Ann", "--ttl", "7200", env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert "JWT_MAX_LIFETIME" in _one_line(result)
