"""``chatserver guest export|erase`` and ``chatserver customer export|erase``: the operator's
answer to a data-subject request, straight on the database (whoever runs it has the database, so
no token). Export prints the same JSON document as the REST export; erase deletes the same data
as ``DELETE /api/businesses/{b}/guests/{g}`` and writes the same webhook event, and exits 1 with
``not_found`` when nothing is stored (a repeat included). With ``REDIS_URL`` it also signals the
running instances, which close the visitor's open connections (4410) as after a REST erase;
without Redis there is no channel to the server process, and the old ``sessionId`` simply
resumes nothing."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Protocol

from chatserver.config import Settings
from chatserver.domain.privacy import SubjectKind
from chatserver.protocol import ChatError
from chatserver.protocol.privacy_export import subject_export

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

    class AddCommand(Protocol):
        def __call__(self, group: Commands, name: str, help_text: str, /) -> argparse.ArgumentParser: ...


def add_commands(commands: Commands, add_command: AddCommand) -> None:
    """``guest export`` and ``customer export`` (``add_command``: the parser's ``_command``)."""
    for kind, what in ((SubjectKind.GUEST, "GUEST_ID"), (SubjectKind.CUSTOMER, "CUSTOMER_ID")):
        name = kind.value
        group = commands.add_parser(name, help=f"{name} data requests", description=f"{name} data requests")
        actions = group.add_subparsers(dest=f"{name}_command", required=True)
        export = add_command(
            actions, "export", f"print everything a business stores about one {name} as JSON (protocol.md §10)"
        )
        export.add_argument("--business", required=True, help="business id")
        export.add_argument("subject_id", metavar=what)
        erase = add_command(actions, "erase", f"erase everything a business stores about one {name} (protocol.md §10)")
        erase.add_argument("--business", required=True, help="business id")
        erase.add_argument("subject_id", metavar=what)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from chatserver.cli.admin import opened_store
    from chatserver.composition import make_privacy
    from chatserver.domain.clock import now_ms
    from chatserver.usecases.privacy import subject

    kind = SubjectKind(args.command)
    erase = getattr(args, f"{kind.value}_command") == "erase"
    async with opened_store(settings) as store:
        privacy = make_privacy(store, now_ms, None)
        try:
            wanted = subject(kind, args.subject_id)
            if erase:
                erasure = await privacy.erase_unchecked(args.business, wanted)
            else:
                export = await privacy.export_unchecked(args.business, wanted)
        except ChatError as err:
            print(f"chatserver: {err.code.value}: {err.message}", file=sys.stderr)
            return 1
    if erase:
        print(f"erased {kind.value} {args.subject_id}: {len(erasure.room_ids)} room(s)")
        if settings.redis_url:
            return await _close_connections(settings, erasure.guest_ids, erasure.customer_ids)
        return 0
    print(json.dumps(subject_export(export), indent=2, ensure_ascii=False))
    return 0


async def _close_connections(settings: Settings, guest_ids: tuple[str, ...], customer_ids: tuple[str, ...]) -> int:
    """The disconnect signal every instance follows (``fanout/disconnects.py``); exit 3 when
    Redis is unreachable (the data is erased, the connections stay until they reconnect)."""
    from chatserver.adapters.redis.broker import publish_once
    from chatserver.fanout.disconnects import CHANNEL
    from chatserver.protocol.broker_codec import disconnect_signal

    if not guest_ids and not customer_ids:
        return 0
    try:
        await publish_once(
            settings.redis_url, CHANNEL, disconnect_signal(guest_ids, customer_ids), prefix=settings.redis_prefix
        )
    except OSError as exc:  # ConnectionError included
        print(f"chatserver: erased, but could not signal the instances through Redis: {exc}", file=sys.stderr)
        return 3
    print("signalled the running instances to close the visitor's connections")
    return 0
