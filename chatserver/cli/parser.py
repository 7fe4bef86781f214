"""The argument parser: which subcommands exist and which settings each one takes.

``serve`` takes every setting as a flag; the admin commands only the few they read (the
database, and the secret for ``token``), so their ``--help`` shows what matters to them. Every
setting is still read from the environment by every command.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from chatserver import __version__
from chatserver.config import SETTINGS, add_setting_flags

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

STORAGE = ("database_url", "database_schema")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatserver", description="Customer-support chat server for guests, customers and staff."
    )
    parser.add_argument("--version", action="version", version=f"chatserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    env_list = "\n".join(f"  {s.env:<30} {s.help}" for s in SETTINGS)
    serve = commands.add_parser(
        "serve",
        help="run the server",
        description="Run the chat server. Every flag can also be set by the environment variable shown.",
        epilog=f"environment variables:\n{env_list}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_setting_flags(serve)
    _command(commands, "migrate", "upgrade the database schema to this version")
    _business(commands)
    _staff(commands)
    _faq(commands)
    _token(commands)
    _webhook(commands)
    from chatserver.cli.privacy import add_commands as add_privacy_commands

    add_privacy_commands(commands, _command)  # guest export, customer export (issue 16)

    conformance = commands.add_parser(
        "conformance",
        help="check a server against protocol.md over the network",
        description="Run the protocol conformance suite against a running server.",
    )
    from chatserver.conformance.command import add_arguments as add_conformance_arguments

    add_conformance_arguments(conformance)
    return parser


def _group(commands: Commands, name: str, help_text: str) -> Commands:
    group = commands.add_parser(name, help=help_text, description=help_text)
    return group.add_subparsers(dest=f"{name}_command", required=True)


def _command(
    group: Commands, name: str, help_text: str, settings: tuple[str, ...] = STORAGE
) -> argparse.ArgumentParser:
    """An admin command: its help, and flags for the settings it reads."""
    command = group.add_parser(name, help=help_text, description=help_text)
    add_setting_flags(command, settings)
    return command


def _business(commands: Commands) -> None:
    group = _group(commands, "business", "manage businesses")
    _command(group, "add", "create a business and print its id").add_argument("name")
    _command(group, "list", "print every business: id, creation time (UTC), name")


def _staff(commands: Commands) -> None:
    group = _group(commands, "staff", "manage staff accounts (password login)")
    add = _command(
        group,
        "add",
        "create a staff account and print its id; the password is asked twice in a terminal, "
        "otherwise read from the first line of standard input",
    )
    add.add_argument("--business", required=True, help="business id")
    add.add_argument("--email", required=True)
    add.add_argument("--name", default="", help="display name; default: the email's local part")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input even in a terminal"
    )
    listing = _command(group, "list", "print a business's staff accounts: id, email, name, creation time (UTC)")
    listing.add_argument("--business", required=True, help="business id")
    revoke = _command(
        group, "revoke", "stop every login token of the account (on every instance within seconds); it logs in again"
    )
    revoke.add_argument("email")
    password = _command(
        group,
        "password",
        "set a new password and stop every login token of the account; read as for 'staff add'",
    )
    password.add_argument("email")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input even in a terminal"
    )


def _faq(commands: Commands) -> None:
    group = _group(commands, "faq", "manage a business's FAQ entries")
    add = _command(group, "add", "add one FAQ entry and print its id")
    add.add_argument("--business", required=True, help="business id")
    add.add_argument("--question", required=True)
    add.add_argument("--answer", required=True)
    add.add_argument("--keywords", default="", help="comma-separated")
    add.add_argument("--disabled", action="store_true", help="store it disabled")
    _command(group, "list", "print the FAQ entries as JSON lines").add_argument(
        "--business", required=True, help="business id"
    )
    imports = _command(group, "import", "add the entries of a JSON file (a list of FAQ objects)")
    imports.add_argument("--business", required=True, help="business id")
    imports.add_argument("file", help="FILE.json: [{question, answer, keywords?, enabled?}, ...]")


def _token(commands: Commands) -> None:
    token = _command(
        commands,
        "token",
        "print a signed development token (HS256 with JWT_SECRET); warns when the business does not exist",
        ("jwt_secret", *STORAGE),
    )
    token.add_argument("--role", choices=["customer", "staff"], required=True)
    token.add_argument("--business", default=None, help="business id (staff)")
    token.add_argument("--name", required=True)
    token.add_argument("--sub", default=None, help="subject (user id); default: derived from the name")
    token.add_argument("--ttl", type=int, default=86_400, help="seconds until expiry")


def _webhook(commands: Commands) -> None:
    group = _group(commands, "webhook", "manage webhooks of a business")
    add = _command(group, "add", "register a webhook; prints it with its signing secret (JSON)")
    add.add_argument("--business", required=True)
    add.add_argument("--url", required=True)
    add.add_argument("--events", default="*", help="comma-separated event types, or * (default)")
    _command(group, "list", "list a business's webhooks with delivery counts").add_argument("--business", required=True)
    deliveries = _command(group, "deliveries", "recent deliveries of a webhook, newest first")
    deliveries.add_argument("--webhook", required=True)
    deliveries.add_argument("--status", choices=["pending", "delivered", "failed"], default=None)
    deliveries.add_argument("--limit", type=int, default=50)
    replay = _command(group, "replay", "send finished deliveries again")
    replay.add_argument("--webhook", required=True)
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--delivery", default=None, help="one delivery id")
    which.add_argument("--status", choices=["failed", "delivered"], default=None, help="every delivery with it")
    _command(group, "remove", "delete a webhook and its delivery records").add_argument("--webhook", required=True)
