"""``chatserver webhook add|list|deliveries|replay|remove``: the operator's side of webhooks,
straight on the database (no token needed: whoever runs it has the database)."""

from __future__ import annotations

import argparse
import json

from chatserver.config import Settings
from chatserver.ports.webhooks import WebhookRegistry
from chatserver.protocol import ChatError, webhook_payloads
from chatserver.protocol.timestamps import iso_ms
from chatserver.webhooks.service import WebhookService, check_status


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from chatserver.adapters.sql.webhooks import SqlWebhookStore
    from chatserver.cli.admin import opened_store
    from chatserver.composition import webhook_targets

    async with opened_store(settings) as store:
        registry = SqlWebhookStore(store.engine)
        service = WebhookService(registry, store, targets=webhook_targets(settings))
        try:
            return await _dispatch(service, registry, args)
        except ChatError as err:
            print(f"chatserver: {err.code.value}: {err.message}")
            return 1


async def _dispatch(service: WebhookService, registry: WebhookRegistry, args: argparse.Namespace) -> int:
    command = args.webhook_command
    if command == "add":
        events = [e.strip() for e in args.events.split(",") if e.strip()]
        webhook = await service.create(args.business, args.url, events, created_by="cli")
        print(json.dumps(webhook_payloads.webhook(webhook, with_secret=True), indent=2))
        return 0
    if command == "list":
        for hook, stats in await registry.list_webhooks(args.business):
            wire = webhook_payloads.webhook(hook, stats=stats)
            counts = " ".join(f"{k}={v}" for k, v in wire["deliveries"].items())
            print(f"{hook.id}  {hook.url}  events={','.join(hook.events)}  {counts}")
        return 0
    if await registry.get_webhook(args.webhook) is None:
        print(f"chatserver: not_found: no webhook {args.webhook}")
        return 1
    if command == "deliveries":
        page = await registry.list_deliveries(
            args.webhook, status=check_status(args.status), limit=max(1, min(args.limit, 100)), cursor=None
        )
        for d in page.deliveries:
            print(
                f"{d.id}  {d.event_type:<16} {d.event_id}  {d.status.value:<9} attempts={d.attempts} "
                f"last={d.last_status or '-'} error={d.last_error or '-'} created={iso_ms(d.created_at)}"
            )
        return 0
    if command == "replay":
        count = await service.replay_unchecked(args.webhook, delivery_id=args.delivery, status=args.status)
        print(f"{count} replayed")
        return 0
    if command == "remove":
        await registry.remove_webhook(args.webhook)
        print("removed")
        return 0
    return 2
