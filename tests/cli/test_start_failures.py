"""What a first start gets wrong, each answered with one line that says what to do."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from tests.procs import free_port, run_cli
from tests.services import PG_URL, require_postgres


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_taken_port_names_host_and_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", "LOG_LEVEL": "ERROR"}
        result = run_cli("serve", "--host", "127.0.0.1", "--port", str(port), env=env)
    assert result.returncode == 1
    line = one_line(result)
    assert f"127.0.0.1:{port}" in line and "already in use" in line and "Errno" not in line


def test_a_missing_postgres_database_says_to_create_it():
    require_postgres()
    url = PG_URL.rsplit("/", 1)[0] + "/no_such_database_here"
    line = one_line(run_cli("business", "list", env={"DATABASE_URL": url}))
    assert 'no database "no_such_database_here"' in line and "createdb" in line and "sqlalchemy" not in line.lower()


def test_a_refused_postgres_connection_names_where():
    port = free_port()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test"
    line = one_line(run_cli("business", "list", env={"DATABASE_URL": url}))
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port} (connection refused)" in line


def test_an_unknown_postgres_role_is_named():
    require_postgres()
    url = PG_URL.replace("//postgres@", "//no_such_role@")
    line = one_line(run_cli("business", "list", env={"DATABASE_URL": url}))
    assert 'refused user "no_such_role"' in line and "DATABASE_URL" in line


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


@pytest.fixture
def password_refusing_postgres() -> Iterator[int]:
    """A peer that answers as PostgreSQL does to a wrong password (the machine's server trusts
    every local login, so it never refuses one): no TLS, ask for the password, SQLSTATE 28P01."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                length, code = struct.unpack("!ii", conn.recv(8))
                if code == 80877103:  # SSLRequest: refused, the client goes on in plain text
                    conn.sendall(b"N")
                    length = struct.unpack("!i", conn.recv(4))[0]
                    conn.recv(length - 4)
                else:
                    conn.recv(length - 8)
                conn.sendall(_message(b"R", struct.pack("!i", 3)))  # AuthenticationCleartextPassword
                conn.recv(4096)
                fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "postgres"\0\0'
                conn.sendall(_message(b"E", fields))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    listener.close()
    thread.join(5)


def test_a_wrong_postgres_password_says_to_check_it(password_refusing_postgres):
    url = f"postgresql+asyncpg://postgres:wrong@127.0.0.1:{password_refusing_postgres}/test"
    line = one_line(run_cli("business", "list", env={"DATABASE_URL": url}))
    assert "password authentication failed" in line and "check the user name and password in DATABASE_URL" in line


def test_a_sqlite_file_in_a_missing_folder_says_so(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'chat.db'}"
    line = one_line(run_cli("business", "list", env={"DATABASE_URL": url}))
    assert "cannot open the SQLite database" in line and "folder" in line
