"""``chatserver guest export`` and ``chatserver customer export``: the operator's answer to a
data-subject access request, straight on the database (whoever runs it has the database, so no
token), printed as the same JSON document as the REST export."""

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


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from chatserver.adapters.sql.privacy_sql import SqlPrivacyStore
    from chatserver.cli.admin import opened_store
    from chatserver.domain.clock import now_ms
    from chatserver.usecases.privacy import Privacy, subject

    kind = SubjectKind(args.command)
    async with opened_store(settings) as store:
        privacy = Privacy(store=SqlPrivacyStore(store.engine), clock=now_ms)
        try:
            export = await privacy.export_unchecked(args.business, subject(kind, args.subject_id))
        except ChatError as err:
            print(f"chatserver: {err.code.value}: {err.message}", file=sys.stderr)
            return 1
    print(json.dumps(subject_export(export), indent=2, ensure_ascii=False))
    return 0
