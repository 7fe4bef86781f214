"""Entry point: parse, load settings once, run one command, turn its failure into one line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from chatserver.cli.parser import build_parser
from chatserver.config import SETTINGS, ConfigError, Settings, load_settings
from chatserver.eventloop import run_loop

log = logging.getLogger("chatserver")


class UsageError(Exception):
    """The command cannot run as asked (exit status 2)."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    return load_settings(os.environ, overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ConfigError as exc:
        print(f"chatserver: configuration error: {exc}", file=sys.stderr)
        return 2
    from chatserver import logs

    logs.configure(settings.log_level)
    try:
        return _run(args, settings)
    except UsageError as exc:
        print(f"chatserver: error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:  # found once the command knows what it needs (JWT_SECRET)
        print(f"chatserver: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for the operator; details at debug level
        log.debug("command failed", exc_info=True)
        print(f"chatserver: error: {_explain(exc, settings)}", file=sys.stderr)
        return 1


def _explain(exc: Exception, settings: Settings) -> str:
    """One line: what to do about a database that cannot be used, else the error's own first line."""
    from chatserver.adapters.sql.diagnose import explain_database_error

    if advice := explain_database_error(exc, settings.database_url):
        return advice
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from chatserver.cli import admin

    command = args.command
    if command == "serve":
        from chatserver.server import serve

        return run_loop(serve(settings), settings.event_loop)
    if command == "migrate":
        return asyncio.run(admin.migrate(settings))
    if command == "business":
        return asyncio.run(admin.business(settings, args))
    if command == "staff":
        password = _read_password(args) if args.staff_command in ("add", "password") else ""
        return asyncio.run(admin.staff(settings, args, password))
    if command == "faq":
        data = admin.load_json(args.file) if args.faq_command == "import" else None
        return asyncio.run(admin.faq(settings, args, data))
    if command == "token":
        if args.role == "staff" and not args.business:
            raise UsageError("--business is required for staff tokens")
        return asyncio.run(admin.token(settings, args))
    if command == "webhook":
        from chatserver.cli.webhooks import run as webhook_command

        return asyncio.run(webhook_command(settings, args))
    if command in ("guest", "customer"):
        from chatserver.cli.privacy import run as privacy_command

        return asyncio.run(privacy_command(settings, args))
    if command == "conformance":
        from chatserver.conformance.command import main as conformance

        return asyncio.run(conformance(args, default_secret=settings.jwt_secret))
    raise UsageError(f"unknown command {command!r}")


def _read_password(args: argparse.Namespace) -> str:
    """Asked twice in a terminal; otherwise the first line of standard input (scripts, pipes)."""
    if args.password_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line.strip():
            raise UsageError(
                "no password: pipe it on standard input (printf '%s\\n' \"$PASSWORD\" | chatserver staff add ...) "
                "or run the command in a terminal to be asked"
            )
        return line.rstrip("\r\n")
    import getpass

    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UsageError("the passwords differ")
    return first
