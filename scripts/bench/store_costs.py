"""What one chat message costs the store, without the network: statements, round trips, time.

Replays what ``chat:send-message`` asks of the store (``get_room`` for the access check, then
``append_message`` with a ``clientMsgId``) ``--messages`` times, one after another, and reports
per message: wall time, process CPU time, SQL statements executed, transactions committed and,
on SQLite, hops to aiosqlite's worker thread (each one a thread wake-up and a return through
the event loop). A before/after yardstick for store changes, much quicker than a load run.

    python -m scripts.bench.store_costs --backend sqlite --messages 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event

from scripts.bench.servers import PG_URL, _pg


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(url: str, schema: str, messages: int) -> dict[str, Any]:
    import aiosqlite.core

    from chatserver.adapters.sql import migrate
    from chatserver.adapters.sql.engine import create_engine
    from chatserver.adapters.sql.sql import SqlStore
    from chatserver.domain.models import NewMessage, NewRoom, SenderType

    counts: Counter[str] = Counter()
    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts["thread_hops"] += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]
    engine = create_engine(url, schema=schema or None)
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: counts.update(["statements"]))
    event.listen(engine.sync_engine, "commit", lambda *a: counts.update(["commits"]))
    store = SqlStore(engine)
    try:
        await migrate.upgrade(engine)
        business = await store.create_business("Costs", 1)
        await store.create_guest("guest_costs", "hash", "ua", 1)
        room = await store.create_room(
            NewRoom(
                business_id=business.id,
                room_name="Chat with G",
                user_type="guest",
                user_id=None,
                user_name="G",
                is_guest=True,
                guest_id="guest_costs",
                user_agent="ua",
                email=None,
                tags=("anonymous",),
            ),
            1,
        )

        async def send(i: int) -> None:
            await store.get_room(room.id)
            new = NewMessage(
                room_id=room.id,
                sender_id="guest_costs",
                sender_type=SenderType.GUEST,
                sender_name="G",
                is_guest=True,
                content="hello " + "x" * 64,
                client_msg_id=f"m{i}",
            )
            await store.append_message(new, 2)

        for i in range(min(50, messages)):  # warm caches (statement cache, pool)
            await send(-1 - i)
        counts.clear()
        cpu, wall = _cpu(), time.perf_counter()
        for i in range(messages):
            await send(i)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    finally:
        await store.close()
        aiosqlite.core.Connection._execute = original  # type: ignore[method-assign]
    return {
        "messages": messages,
        "wall_us_per_msg": round(1e6 * wall / messages, 1),
        "cpu_us_per_msg": round(1e6 * cpu / messages, 1),
        **{f"{k}_per_msg": round(v / messages, 2) for k, v in sorted(counts.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            result = asyncio.run(measure(f"sqlite+aiosqlite:///{Path(tmp) / 'costs.db'}", "", args.messages))
        else:
            schema = f"costs_{int(time.time())}"
            _pg(f'CREATE SCHEMA "{schema}"')
            try:
                result = asyncio.run(measure(PG_URL, schema, args.messages))
            finally:
                _pg(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print(json.dumps({"backend": args.backend, **result}))


if __name__ == "__main__":
    main()
