"""``chatserver``: serve, migrate, and small admin commands (businesses, dev tokens)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from chatserver import __version__
from chatserver.config import SETTINGS, ConfigError, Settings, add_setting_flags, load_settings
from chatserver.eventloop import run_loop

log = logging.getLogger("chatserver")


def _parser() -> argparse.ArgumentParser:
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

    migrate = commands.add_parser("migrate", help="upgrade the database schema to this version")
    add_setting_flags(migrate)

    business = commands.add_parser("business", help="manage businesses")
    business_commands = business.add_subparsers(dest="business_command", required=True)
    add = business_commands.add_parser("add", help="create a business and print its id")
    add.add_argument("name")
    add_setting_flags(add)

    staff = commands.add_parser("staff", help="manage staff accounts (password login)")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    staff_add = staff_commands.add_parser("add", help="create a staff account; asks for the password")
    staff_add.add_argument("--business", required=True, help="business id")
    staff_add.add_argument("--email", required=True)
    staff_add.add_argument("--name", default="", help="display name; default: the email's local part")
    staff_add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (scripts)"
    )
    add_setting_flags(staff_add)

    faq = commands.add_parser("faq", help="manage a business's FAQ entries")
    faq_commands = faq.add_subparsers(dest="faq_command", required=True)
    faq_add = faq_commands.add_parser("add", help="add one FAQ entry and print its id")
    faq_add.add_argument("--business", required=True, help="business id")
    faq_add.add_argument("--question", required=True)
    faq_add.add_argument("--answer", required=True)
    faq_add.add_argument("--keywords", default="", help="comma-separated")
    faq_add.add_argument("--disabled", action="store_true", help="store it disabled")
    add_setting_flags(faq_add)
    faq_list = faq_commands.add_parser("list", help="print the FAQ entries as JSON lines")
    faq_list.add_argument("--business", required=True, help="business id")
    add_setting_flags(faq_list)
    faq_import = faq_commands.add_parser("import", help="add the entries of a JSON file (a list of FAQ objects)")
    faq_import.add_argument("--business", required=True, help="business id")
    faq_import.add_argument("file", help="FILE.json: [{question, answer, keywords?, enabled?}, ...]")
    add_setting_flags(faq_import)

    token = commands.add_parser("token", help="print a signed development token (HS256, JWT_SECRET)")
    token.add_argument("--role", choices=["customer", "staff"], required=True)
    token.add_argument("--business", default=None, help="business id (staff)")
    token.add_argument("--name", required=True)
    token.add_argument("--sub", default=None, help="subject (user id); default: derived from the name")
    token.add_argument("--ttl", type=int, default=86_400, help="seconds until expiry")
    add_setting_flags(token)

    webhook = commands.add_parser("webhook", help="manage webhooks of a business")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True)
    hook_add = webhook_commands.add_parser("add", help="register a webhook; prints it with its signing secret (JSON)")
    hook_add.add_argument("--business", required=True)
    hook_add.add_argument("--url", required=True)
    hook_add.add_argument("--events", default="*", help="comma-separated event types, or * (default)")
    hook_list = webhook_commands.add_parser("list", help="list a business's webhooks with delivery counts")
    hook_list.add_argument("--business", required=True)
    hook_deliveries = webhook_commands.add_parser("deliveries", help="recent deliveries of a webhook, newest first")
    hook_deliveries.add_argument("--webhook", required=True)
    hook_deliveries.add_argument("--status", choices=["pending", "delivered", "failed"], default=None)
    hook_deliveries.add_argument("--limit", type=int, default=50)
    hook_replay = webhook_commands.add_parser("replay", help="send finished deliveries again")
    hook_replay.add_argument("--webhook", required=True)
    which = hook_replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--delivery", default=None, help="one delivery id")
    which.add_argument("--status", choices=["failed", "delivered"], default=None, help="every delivery with it")
    hook_remove = webhook_commands.add_parser("remove", help="delete a webhook and its delivery records")
    hook_remove.add_argument("--webhook", required=True)
    for sub in (hook_add, hook_list, hook_deliveries, hook_replay, hook_remove):
        add_setting_flags(sub)

    conformance = commands.add_parser(
        "conformance",
        help="check a server against protocol.md over the network",
        description="Run the protocol conformance suite against a running server.",
    )
    from chatserver.conformance.command import add_arguments as add_conformance_arguments

    add_conformance_arguments(conformance)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    return load_settings(os.environ, overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ConfigError as exc:
        print(f"chatserver: configuration error: {exc}", file=sys.stderr)
        return 2
    from chatserver import logs

    logs.configure(settings.log_level)
    try:
        if args.command == "serve":
            from chatserver.server import serve

            return run_loop(serve(settings), settings.event_loop)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "business":
            return asyncio.run(_business_add(settings, args.name))
        if args.command == "token":
            return _token(settings, args)
        if args.command == "staff":
            return asyncio.run(_staff_add(settings, args, _read_password(args)))
        if args.command == "faq":
            data = _load_json(args.file) if args.faq_command == "import" else None
            return asyncio.run(_faq(settings, args, data))
        if args.command == "webhook":
            from chatserver.webhooks.command import run as webhook_command

            return asyncio.run(webhook_command(settings, args))
        if args.command == "conformance":
            from chatserver.conformance.command import main as conformance

            return asyncio.run(conformance(args, default_secret=settings.jwt_secret))
    except Exception as exc:  # one line for the operator; details at debug level
        log.debug("command failed", exc_info=True)
        print(f"chatserver: error: {exc}", file=sys.stderr)
        return 1
    return 2


async def _migrate(settings: Settings) -> int:
    from chatserver.app import make_store
    from chatserver.store import migrate

    store = make_store(settings)
    try:
        await migrate.ensure_schema(store.engine, settings.database_schema)
        await migrate.upgrade(store.engine)
        print(f"database at revision {await migrate.current_revision(store.engine)}")
    finally:
        await store.close()
    return 0


async def _business_add(settings: Settings, name: str) -> int:
    from chatserver.app import make_store, prepare_schema
    from chatserver.chat.clock import now_ms

    store = make_store(settings)
    try:
        await prepare_schema(store, settings)
        business = await store.create_business(name, now_ms())
    finally:
        await store.close()
    print(business.id)
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from chatserver.chat.tokens import issue_token

    if args.role == "staff" and not args.business:
        print("chatserver: error: --business is required for staff tokens", file=sys.stderr)
        return 2
    sub = args.sub or f"{args.role}-{args.name.strip().lower().replace(' ', '-')}"
    print(
        issue_token(
            settings.effective_jwt_secret,
            sub=sub,
            role=args.role,
            name=args.name,
            business_id=args.business,
            ttl_s=args.ttl,
        )
    )
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the passwords differ")
    return first


async def _staff_add(settings: Settings, args: argparse.Namespace, password: str) -> int:
    from chatserver.app import make_store, prepare_schema
    from chatserver.chat.clock import now_ms
    from chatserver.chat.ratelimit import MemoryRateLimiter
    from chatserver.chat.staffauth import StaffAuth

    store = make_store(settings)
    try:
        await prepare_schema(store, settings)
        auth = StaffAuth(store=store, limiter=MemoryRateLimiter(), settings=settings, clock=now_ms)
        account = await auth.add_staff(args.business, args.email, args.name, password)
    finally:
        await store.close()
    print(account.id)
    return 0


def _load_json(path: str) -> Any:
    import json

    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


async def _faq(settings: Settings, args: argparse.Namespace, data: Any) -> int:
    import json

    from chatserver.app import make_store, prepare_schema
    from chatserver.chat.admin import BusinessAdmin
    from chatserver.chat.clock import now_ms

    store = make_store(settings)
    try:
        await prepare_schema(store, settings)
        admin = BusinessAdmin(store=store, clock=now_ms)
        if args.faq_command == "add":
            keywords = [k.strip() for k in args.keywords.split(",") if k.strip()]
            body = {"question": args.question, "answer": args.answer, "keywords": keywords}
            if args.disabled:
                body["enabled"] = False
            print((await admin.add_faq(args.business, body)).id)
        elif args.faq_command == "list":
            for faq in await admin.list_faqs(args.business):
                print(json.dumps(faq.to_wire(), ensure_ascii=False))
        else:
            added = await admin.import_faqs(args.business, data)
            print(f"imported {len(added)} FAQ entries")
    finally:
        await store.close()
    return 0
