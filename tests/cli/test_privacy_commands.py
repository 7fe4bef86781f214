"""``chatserver guest export`` and ``chatserver customer export`` (issue 16): the operator prints the
same JSON document as the REST export, straight from the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatserver.composition import make_store
from chatserver.config import Settings
from chatserver.domain.models import NewMessage, NewRoom, SenderType
from tests.procs import run_cli
from tests.services import PG_URL, postgres_schema, run_aside

GUEST = "guest_1767225600000_abcd1234"
OTHER_GUEST = "guest_1767225600000_zzzz9999"


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "DATABASE_"))}
    if request.param == "sqlite":
        yield {**base, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'privacy.db'}"}
        return
    with postgres_schema() as schema:
        yield {**base, "DATABASE_URL": PG_URL, "DATABASE_SCHEMA": schema}


async def seed(env: dict[str, str]) -> dict[str, str]:
    """A business with two guests and a customer, each with a room and a message."""
    store = make_store(Settings(database_url=env["DATABASE_URL"], database_schema=env.get("DATABASE_SCHEMA", "")))
    try:
        business = await store.create_business("Acme", 1_767_225_600_000)
        ids = {"business": business.id}
        for owner, text in ((GUEST, "where is my parcel"), (OTHER_GUEST, "someone else"), ("cust-7", "customer here")):
            is_guest = owner.startswith("guest_")
            if is_guest:
                await store.create_guest(owner, owner.encode().hex()[:64], "Firefox 131 on Windows", 1_767_225_600_000)
            room = await store.create_room(
                NewRoom(
                    business.id,
                    "Chat",
                    "guest" if is_guest else "customer",
                    None if is_guest else owner,
                    "Visitor",
                    is_guest,
                    owner if is_guest else None,
                    "Firefox 131 on Windows" if is_guest else None,
                    None,
                    (),
                ),
                1_767_225_600_000,
            )
            sender = SenderType.GUEST if is_guest else SenderType.CUSTOMER
            await store.append_message(NewMessage(room.id, owner, sender, "Visitor", is_guest, text), 1_767_225_601_000)
            ids[owner] = room.id
        return ids
    finally:
        await store.close()


def test_guest_and_customer_export_print_the_export_document(env):
    assert run_cli("migrate", env=env).returncode == 0
    ids = run_aside(seed(env))
    result = run_cli("guest", "export", "--business", ids["business"], GUEST, env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["subject"] == {"type": "guest", "id": GUEST}
    assert [s["guestId"] for s in document["guestSessions"]] == [GUEST]
    assert [r["_id"] for r in document["rooms"]] == [ids[GUEST]]
    assert [m["content"] for m in document["messages"]] == ["where is my parcel"]
    assert OTHER_GUEST not in result.stdout and "someone else" not in result.stdout

    result = run_cli("customer", "export", "--business", ids["business"], "cust-7", env=env)
    assert result.returncode == 0, result.stderr
    assert [m["content"] for m in json.loads(result.stdout)["messages"]] == ["customer here"]


def test_export_of_a_guest_without_data_fails_in_one_line(env):
    assert run_cli("migrate", env=env).returncode == 0
    ids = run_aside(seed(env))
    result = run_cli("guest", "export", "--business", ids["business"], "guest_1_nobody00", env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == "chatserver: not_found: no data of this guest in this business"
    result = run_cli("guest", "export", "--business", "no-such-business", GUEST, env=env)
    assert result.returncode == 1 and "not_found" in result.stderr


def test_guest_and_customer_erase_delete_what_export_showed_and_a_repeat_is_not_found(env):
    assert run_cli("migrate", env=env).returncode == 0
    ids = run_aside(seed(env))
    result = run_cli("guest", "erase", "--business", ids["business"], GUEST, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"erased guest {GUEST}: 1 room(s)"
    assert GUEST not in result.stderr  # nothing of the guest in the logs
    again = run_cli("guest", "erase", "--business", ids["business"], GUEST, env=env)
    assert again.returncode == 1 and "not_found" in again.stderr
    assert run_cli("guest", "export", "--business", ids["business"], GUEST, env=env).returncode == 1
    # the other guest and the customer are untouched, then the customer goes too
    assert run_cli("guest", "export", "--business", ids["business"], OTHER_GUEST, env=env).returncode == 0
    assert run_cli("customer", "erase", "--business", ids["business"], "cust-7", env=env).returncode == 0
    assert run_cli("customer", "export", "--business", ids["business"], "cust-7", env=env).returncode == 1
