"""A signing secret of its own for the embedded default, so a first start needs no JWT_SECRET.

Without ``JWT_SECRET`` (and without ``JWT_PUBLIC_KEY``) on a SQLite database, the server and the
``chatserver token`` command share a random secret kept in a file beside the database file
(``./chatserver.db`` → ``./chatserver.db.secret``, mode 0600), made on first use. Nothing is
published in the source, and a token printed by the CLI is accepted by the server that uses the
same database. An in-memory database gets a secret for the life of the process.

PostgreSQL or ``REDIS_URL`` means several instances, which must share one key: without
``JWT_SECRET`` or ``JWT_PUBLIC_KEY`` they refuse to start. There is no published fallback secret
(a token signed with one would open every such deployment).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from chatserver.adapters.sql.engine import is_sqlite, sqlite_file
from chatserver.config import ConfigError, Settings

SUFFIX = ".secret"


def with_local_secret(settings: Settings) -> tuple[Settings, Path | None]:
    """``settings`` with the database's own secret when none is configured, and the file it came
    from; ``ConfigError`` when the deployment needs a configured key."""
    if settings.jwt_secret or settings.jwt_public_key:
        return settings, None
    if not is_sqlite(settings.database_url) or settings.redis_url:
        raise ConfigError(
            "JWT_SECRET is not set: with PostgreSQL or REDIS_URL every instance needs the same key; "
            "set JWT_SECRET (32 bytes or more, e.g. openssl rand -hex 32) or JWT_PUBLIC_KEY"
        )
    database = sqlite_file(settings.database_url)
    path = None if database is None else database.with_name(database.name + SUFFIX)
    secret = secrets.token_urlsafe(32) if path is None else _read_or_create(path)
    return dataclasses.replace(settings, jwt_secret=secret), path


def _read_or_create(path: Path) -> str:
    """Written whole under a temporary name, then linked into place: a second process starting
    at the same time either links first or reads the complete file of the first."""
    secret = secrets.token_urlsafe(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) < 32:
            raise ValueError(f"{path} holds no usable secret: delete it (tokens signed with it stop working)") from None
    finally:
        temporary.unlink()
    return secret
