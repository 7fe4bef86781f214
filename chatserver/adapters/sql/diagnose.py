"""One line that tells an operator what to do when the database cannot be used.

The raw exceptions (SQLAlchemy's wrapper around asyncpg's, ``[Errno 111] Connect call
failed``) name the library, not the fix. PostgreSQL's answers are recognised by their SQLSTATE
code, which is stable across versions and locales; connection failures by ``errno``.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from sqlalchemy.engine import make_url

# SQLSTATE codes (PostgreSQL's appendix A)
INVALID_CATALOG_NAME = "3D000"  # the database does not exist
INVALID_PASSWORD = "28P01"  # noqa: S105 - an error code, not a password
INVALID_AUTHORIZATION = "28000"  # no such role, or pg_hba.conf refuses it
INVALID_SCHEMA_NAME = "3F000"
UNREACHABLE = (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ETIMEDOUT)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError keeps the driver's error here
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)


def explain_database_error(exc: BaseException, database_url: str) -> str | None:
    """The operator's line for a failure to use the database, or ``None`` when ``exc`` is not one."""
    url = make_url(database_url)
    postgres = url.get_backend_name() == "postgresql"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    for error in _chain(exc):
        state = getattr(error, "sqlstate", None)
        if state == INVALID_CATALOG_NAME:
            return (
                f'PostgreSQL at {where} has no database "{url.database}": create it '
                f"(createdb -h {url.host or 'localhost'} -U {url.username or 'postgres'} {url.database}) "
                "or fix DATABASE_URL"
            )
        if state in (INVALID_PASSWORD, INVALID_AUTHORIZATION):
            return (
                f'PostgreSQL at {where} refused user "{url.username or ""}" ({getattr(error, "message", error)}): '
                "check the user name and password in DATABASE_URL"
            )
        if state == INVALID_SCHEMA_NAME:
            return f"PostgreSQL at {where}: {getattr(error, 'message', error)}: run 'chatserver migrate'"
        if postgres and isinstance(error, OSError) and error.errno in UNREACHABLE:
            reason = "connection refused" if error.errno == errno.ECONNREFUSED else (error.strerror or "no answer")
            return (
                f"cannot reach PostgreSQL at {where} ({reason}): is it running, and are host and port "
                "in DATABASE_URL right?"
            )
        if postgres and isinstance(error, TimeoutError):
            return f"PostgreSQL at {where} did not answer within DATABASE_TIMEOUT: are host and port right?"
        if type(error).__name__ == "OperationalError" and "unable to open database file" in str(error):
            return f"cannot open the SQLite database {url.database!r}: does its folder exist and is it writable?"
    return None
