"""The operator's commands, straight on the database: businesses, staff, FAQ entries, tokens.

Whoever can run them has the database, so they need no token. Each opens the store, checks the
schema (SQLite migrates itself) and closes the store again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from chatserver.adapters.sql.sql import SqlStore
from chatserver.config import Settings


@contextlib.asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[SqlStore]:
    """The store with its schema checked (SQLite migrated), closed on the way out."""
    from chatserver.composition import make_store, prepare_schema

    store = make_store(settings)
    try:
        await prepare_schema(store, settings)
        yield store
    finally:
        await store.close()


def _when(epoch_ms: int) -> str:
    from chatserver.protocol.timestamps import iso_ms

    return iso_ms(epoch_ms) or ""


async def migrate(settings: Settings) -> int:
    from chatserver.adapters.sql import migrate as migrations
    from chatserver.composition import make_store

    store = make_store(settings)
    try:
        await migrations.ensure_schema(store.engine, settings.database_schema)
        await migrations.upgrade(store.engine)
        print(f"database at revision {await migrations.current_revision(store.engine)}")
    finally:
        await store.close()
    return 0


async def business(settings: Settings, args: argparse.Namespace) -> int:
    from chatserver.domain.clock import now_ms

    async with opened_store(settings) as store:
        if args.business_command == "add":
            print((await store.create_business(args.name, now_ms())).id)
            return 0
        for each in await store.list_businesses():
            print(f"{each.id}\t{_when(each.created_at)}\t{each.name}")
    return 0


async def staff(settings: Settings, args: argparse.Namespace, password: str) -> int:
    from chatserver.adapters.memory.limits import MemoryRateLimiter
    from chatserver.domain.clock import now_ms
    from chatserver.usecases.staffauth import StaffAuth

    async with opened_store(settings) as store:
        auth = StaffAuth(store=store, limiter=MemoryRateLimiter(), settings=settings, clock=now_ms)
        if args.staff_command == "add":
            print((await auth.add_staff(args.business, args.email, args.name, password)).id)
            return 0
        if args.staff_command in ("revoke", "password"):
            account = await auth.revoke(args.email, password if args.staff_command == "password" else None)
            print(f"{account.email}: tokens issued before now no longer work (token version {account.token_version})")
            return 0
        if await store.get_business(args.business) is None:
            print(f"chatserver: error: no such business {args.business}", file=sys.stderr)
            return 1
        for account in await store.list_staff(args.business):
            print(f"{account.id}\t{account.email}\t{account.name}\t{_when(account.created_at)}")
    return 0


def load_json(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


async def faq(settings: Settings, args: argparse.Namespace, data: Any) -> int:
    from chatserver.domain.clock import now_ms
    from chatserver.protocol import wire
    from chatserver.usecases.admin import BusinessAdmin

    async with opened_store(settings) as store:
        admin = BusinessAdmin(store=store, clock=now_ms)
        if args.faq_command == "add":
            keywords = [k.strip() for k in args.keywords.split(",") if k.strip()]
            body = {"question": args.question, "answer": args.answer, "keywords": keywords}
            if args.disabled:
                body["enabled"] = False
            print((await admin.add_faq(args.business, body)).id)
        elif args.faq_command == "list":
            for entry in await admin.list_faqs(args.business):
                print(json.dumps(wire.faq(entry), ensure_ascii=False))
        else:
            added = await admin.import_faqs(args.business, data)
            print(f"imported {len(added)} FAQ entries")
    return 0


async def token(settings: Settings, args: argparse.Namespace) -> int:
    """Signs whatever it is asked to, but says so when the business is unknown to this database
    (a typo, or another database than the server's): such a token opens nothing."""
    from chatserver.config import ConfigError
    from chatserver.devsecret import with_local_secret
    from chatserver.usecases.tokens import issue_token

    settings, _ = with_local_secret(settings)
    if not settings.jwt_secret:
        raise ConfigError("JWT_PUBLIC_KEY is set: tokens are issued by the key's owner, this command cannot sign one")
    if args.ttl > settings.jwt_max_lifetime:
        raise ConfigError(
            f"--ttl {args.ttl} is longer than JWT_MAX_LIFETIME ({settings.jwt_max_lifetime}): "
            "the server would refuse the token"
        )
    sub = args.sub or f"{args.role}-{args.name.strip().lower().replace(' ', '-')}"
    extra: dict[str, Any] = {}
    if args.business:
        async with opened_store(settings) as store:
            if await store.get_business(args.business) is None:
                print(
                    f"chatserver: warning: no business {args.business} in this database; the token is signed anyway",
                    file=sys.stderr,
                )
            # a revoked account's tokens must carry its current version (usecases/token_versions.py)
            versions = await store.staff_token_versions() if args.role == "staff" else {}
            if version := versions.get(sub.removeprefix("staff-"), 0) if sub.startswith("staff-") else 0:
                extra["ver"] = version
    print(
        issue_token(
            settings.jwt_secret,
            sub=sub,
            role=args.role,
            name=args.name,
            business_id=args.business,
            ttl_s=args.ttl,
            extra=extra,
        )
    )
    return 0
