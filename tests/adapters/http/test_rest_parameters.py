"""No REST query parameter makes the server fail: cursors, limits, sequence numbers and analytics
instants, malformed or out of range, are a 400 with the documented error body; only a storage
outage is a 5xx. Hypothesis draws the values (well-formed cursors around the 64-bit edge
included) against a live server on SQLite and on PostgreSQL; the schemathesis test
(test_openapi_conformance.py) checks the same operations against the OpenAPI document."""

from __future__ import annotations

import base64
import contextlib
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatserver.adapters.sql import migrate
from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.composition import make_store
from chatserver.config import Settings
from chatserver.domain.models import NewRoom
from chatserver.domain.webhooks import Webhook
from tests.conftest import SECRET, make_token
from tests.fuzzing import cursors, query_numbers
from tests.procs import ServerProcess
from tests.rest import rest
from tests.services import PG_URL, postgres_schema, run_aside

PROBES = settings(
    max_examples=60, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


async def _seed(env: dict[str, str]) -> dict[str, str]:
    """A business, a room and a webhook, straight in the store (the webhook's URL is never
    called: WEBHOOK_CONCURRENCY is 0)."""
    store = make_store(Settings(database_url=env["DATABASE_URL"], database_schema=env.get("DATABASE_SCHEMA", "")))
    try:
        await migrate.upgrade(store.engine)
        business = (await store.create_business("Acme", 1_767_225_600_000)).id
        new = NewRoom(business, "Chat with G", "guest", None, "G", True, "guest_1_aaaaaaaa", "ua", None, ())
        room = (await store.create_room(new, 1_767_225_600_000)).id
        hook = Webhook("ab" * 12, business, "https://example.com/hook", ("message.created",), "whsec_x", 1, "t")
        await SqlWebhookStore(store.engine).add_webhook(hook)
    finally:
        await store.close()
    return {"business": business, "room": room, "webhook": hook.id}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server with a business, a room and a webhook; its token and their ids."""
    env = {"JWT_SECRET": SECRET, "WEBHOOK_CONCURRENCY": "0", "LOG_LEVEL": "ERROR"}
    with postgres_schema() if request.param == "postgres" else contextlib.nullcontext("") as schema:
        if schema:
            env |= {"DATABASE_URL": PG_URL, "DATABASE_SCHEMA": schema}
        else:
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('params') / 'chat.db'}"
        ids = run_aside(_seed(env))
        with ServerProcess(env) as server:
            yield {"base": server.http_url, "token": make_token("staff", "Alice", ids["business"]), **ids}


def _get(live: dict[str, Any], path: str, **query: str) -> tuple[int, Any]:
    return rest(live["base"], "GET", f"{path}?{urllib.parse.urlencode(query)}", live["token"])


def _valid_or_refused(reply: tuple[int, Any], field: str | None = None) -> None:
    status, body = reply
    assert status in (200, 400), reply
    if status == 400:
        assert body["error"]["code"] in ("invalid_payload", "bad_json"), body
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        if field is not None:
            assert body["error"]["field"] == field, body


def test_an_out_of_range_cursor_is_a_400_with_the_error_body(live):
    cursor = base64.b64encode(b"99999999999999999999:abc").decode()
    for path, query in (
        ("/api/chat/rooms", {"businessId": live["business"]}),
        (f"/api/webhooks/{live['webhook']}/deliveries", {}),
    ):
        status, body = _get(live, path, cursor=cursor, **query)
        assert status == 400, (path, status, body)
        assert body["error"]["code"] == "invalid_payload" and body["error"]["field"] == "cursor", body


@PROBES
@given(cursor=cursors)
def test_any_cursor_on_the_room_list_is_a_page_or_a_400(live, cursor):
    _valid_or_refused(_get(live, "/api/chat/rooms", businessId=live["business"], cursor=cursor), "cursor")


@PROBES
@given(cursor=cursors, status=st.sampled_from(["", "pending", "delivered", "failed"]))
def test_any_cursor_on_the_deliveries_is_a_page_or_a_400(live, cursor, status):
    path = f"/api/webhooks/{live['webhook']}/deliveries"
    _valid_or_refused(_get(live, path, cursor=cursor, status=status))


@PROBES
@given(limit=query_numbers)
def test_any_limit_is_a_page_or_a_400(live, limit):
    _valid_or_refused(_get(live, "/api/chat/rooms", businessId=live["business"], limit=limit), "limit")
    _valid_or_refused(_get(live, f"/api/chat/rooms/{live['room']}/messages", limit=limit), "limit")
    _valid_or_refused(_get(live, f"/api/webhooks/{live['webhook']}/deliveries", limit=limit), "limit")


@PROBES
@given(before=query_numbers, after=query_numbers)
def test_any_sequence_bounds_are_a_page_or_a_400(live, before, after):
    _valid_or_refused(_get(live, f"/api/chat/rooms/{live['room']}/messages", beforeSeq=before, afterSeq=after))


@PROBES
@given(
    start=st.one_of(query_numbers, st.dates().map(str), st.datetimes().map(lambda d: d.isoformat() + "+14:00")),
    end=st.one_of(query_numbers, st.dates().map(str)),
    bucket=st.sampled_from(["", "day", "week"]),
)
def test_any_analytics_window_is_a_report_or_a_400(live, start, end, bucket):
    query = {"businessId": live["business"], "from": start, "to": end, "bucket": bucket}
    _valid_or_refused(_get(live, "/api/chat/analytics", **query))
