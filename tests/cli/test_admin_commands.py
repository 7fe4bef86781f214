"""The operator's admin commands as a new user meets them: list what exists, add staff from a
script, one help screen per command, and tokens that say when they will open nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chatserver.cli.parser import build_parser
from chatserver.config import SETTINGS
from tests.procs import ServerProcess, run_cli
from tests.rest import rest

ADMIN_COMMANDS = [
    ("migrate",),
    ("business", "add"),
    ("business", "list"),
    ("staff", "add"),
    ("staff", "list"),
    ("staff", "revoke"),
    ("staff", "password"),
    ("faq", "add"),
    ("faq", "list"),
    ("faq", "import"),
    ("token",),
    ("webhook", "add"),
    ("webhook", "list"),
    ("webhook", "deliveries"),
    ("webhook", "replay"),
    ("webhook", "remove"),
]


@pytest.fixture
def db(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWT_")}
    return {**env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'admin.db'}", "JWT_SECRET": ""}


def cli(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    result = run_cli(*args, env=env, stdin=stdin)
    return result.returncode, result.stdout, result.stderr


def test_business_list_shows_every_business_with_its_id_and_creation_time(db):
    first = cli(db, "business", "add", "Acme")[1].strip()
    second = cli(db, "business", "add", "Beta & Sons")[1].strip()
    code, out, err = cli(db, "business", "list")
    assert code == 0 and err == ""
    rows = [line.split("\t") for line in out.splitlines()]
    assert [(r[0], r[2]) for r in rows] == [(first, "Acme"), (second, "Beta & Sons")]
    assert all(r[1].endswith("Z") and r[1][:4].isdigit() for r in rows)


def test_staff_add_reads_a_piped_password_and_staff_list_shows_the_account(db):
    business = cli(db, "business", "add", "Acme")[1].strip()
    code, out, err = cli(
        db, "staff", "add", "--business", business, "--email", "alice@example.com", stdin="a long pw\n"
    )
    assert code == 0 and len(out.strip()) == 24 and err == "", err  # no GetPassWarning, no prompt
    code, out, err = cli(db, "staff", "list", "--business", business)
    assert code == 0 and err == ""
    (row,) = [line.split("\t") for line in out.splitlines()]
    assert row[1:3] == ["alice@example.com", "alice"] and row[3].endswith("Z")
    assert "a long pw" not in out


def test_staff_add_without_a_terminal_or_a_piped_password_says_how(db):
    business = cli(db, "business", "add", "Acme")[1].strip()
    code, out, err = cli(db, "staff", "add", "--business", business, "--email", "bob@example.com", stdin="")
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("chatserver: error: no password") and "standard input" in line
    assert "Warning" not in err


def test_staff_list_of_an_unknown_business_is_an_error(db):
    code, _, err = cli(db, "staff", "list", "--business", "0" * 24)
    assert code == 1 and f"no such business {'0' * 24}" in err


@pytest.mark.parametrize("command", ADMIN_COMMANDS, ids=" ".join)
def test_each_admin_command_lists_only_the_settings_it_reads(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    text = capsys.readouterr().out
    allowed = {"--database-url", "--database-schema"} | ({"--jwt-secret"} if command == ("token",) else set())
    for spec in SETTINGS:
        flag = "--" + spec.name.replace("_", "-")
        assert (flag in text) == (flag in allowed), (flag, command)


def test_token_for_an_unknown_business_warns_in_one_line_and_no_library_warning(db):
    code, out, err = cli(db, "token", "--role", "staff", "--business", "nope", "--name", "Alice")
    assert code == 0 and out.startswith("eyJ")
    assert err.strip() == "chatserver: warning: no business nope in this database; the token is signed anyway"


def test_token_with_a_short_secret_is_refused_in_one_line(db):
    code, out, err = cli({**db, "JWT_SECRET": "x"}, "token", "--role", "customer", "--name", "Ann")
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("chatserver: configuration error: JWT_SECRET=(hidden): is 1 bytes long")
    assert "32 bytes" in line


def test_first_start_needs_no_secret_and_the_cli_token_opens_the_api(db, tmp_path):
    """The embedded default keeps a generated secret beside its database; server and CLI share it."""
    business = cli(db, "business", "add", "Acme")[1].strip()
    server = ServerProcess({**db, "LOG_LEVEL": "INFO"}, log_path=tmp_path / "server.log").start()
    try:
        code, token, err = cli(db, "token", "--role", "staff", "--business", business, "--name", "Alice")
        assert code == 0 and err == ""
        status, _ = rest(server.http_url, "GET", f"/api/chat/rooms?businessId={business}", token.strip())
        assert status == 200
    finally:
        server.stop()
    secret_file = tmp_path / "admin.db.secret"
    assert secret_file.stat().st_mode & 0o077 == 0
    assert secret_file.read_text().strip() not in (tmp_path / "server.log").read_text()
    records = [json.loads(line) for line in (tmp_path / "server.log").read_text().splitlines()]
    assert [r for r in records if r["level"] not in ("info", "debug")] == []
    said = " ".join(r["event"] for r in records)
    assert f"http://127.0.0.1:{server.port}/demo" in said and f"http://127.0.0.1:{server.port}/dashboard/" in said
    assert 'chatserver business add "Acme"' in said
