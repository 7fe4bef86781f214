"""The command line: businesses, tokens, settings, migrations, serve --help."""

from __future__ import annotations

import jwt
import pytest

from tests.procs import run_cli
from tests.services import postgres_schema


def test_business_add_prints_an_id(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    result = run_cli("business", "add", "Acme", env=env)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) == 24


def test_token_prints_a_staff_token_signed_with_jwt_secret():
    result = run_cli("token", "--role", "staff", "--business", "b1", "--name", "Alice", env={"JWT_SECRET": "s" * 32})
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), "s" * 32, algorithms=["HS256"])
    assert claims["role"] == "staff" and claims["businessId"] == "b1" and claims["name"] == "Alice"


def test_staff_token_needs_a_business():
    result = run_cli("token", "--role", "staff", "--name", "Alice")
    assert result.returncode == 2 and "--business" in result.stderr


@pytest.mark.parametrize(
    ("env", "word"),
    [
        ({"PORT": "abc"}, "PORT"),
        ({"GUEST_MESSAGE_RATE_LIMIT": "0"}, "GUEST_MESSAGE_RATE_LIMIT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
    ],
)
def test_bad_config_fails_at_start_with_one_line(env, word):
    result = run_cli("serve", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], result.stderr


def test_flag_overrides_env_and_is_validated():
    result = run_cli("serve", "--port", "99999", env={"PORT": "3000"})
    assert result.returncode == 2 and "--port" in result.stderr


def test_serve_help_lists_every_setting():
    from chatserver.config import SETTINGS

    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for spec in SETTINGS:
        assert spec.env in result.stdout


def test_server_refuses_an_unmigrated_postgres_then_migrate_fixes_it():
    from chatserver.adapters.sql import migrate
    from tests.services import PG_URL

    with postgres_schema() as schema:
        env = {"DATABASE_URL": PG_URL, "DATABASE_SCHEMA": schema, "PORT": "0", "JWT_SECRET": "x" * 32}
        refused = run_cli("serve", env=env)
        assert refused.returncode == 1
        assert "chatserver migrate" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        migrated = run_cli("migrate", env=env)
        assert migrated.returncode == 0 and migrate.head_revision() in migrated.stdout
        added = run_cli("business", "add", "Acme", env=env)
        assert added.returncode == 0, added.stderr
