"""The OpenAPI document is true: schemathesis drives a live server (a subprocess, so its blocking
HTTP client cannot stall the server's loop) with requests generated from the document and checks
every response's status, content type and body against it: every operation of the document,
the webhook API included. Bounded: a few derandomized examples per operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from chatserver.adapters.sql import migrate
from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.composition import make_store
from chatserver.config import Settings
from chatserver.domain.business import FaqFields
from chatserver.domain.models import NewMessage, NewRoom, SenderType
from chatserver.domain.pages import PageView
from chatserver.domain.webhooks import AttemptResult
from chatserver.webhooks.service import WebhookService
from chatserver.webhooks.targets import TargetGuard
from tests.conftest import SECRET, make_token
from tests.fuzzing import cursors, query_numbers
from tests.procs import ServerProcess
from tests.services import run_aside

EXAMPLES = 5
# drawn for these query parameters instead of schemathesis's values: well-formed cursors and
# numbers at and past the 32- and 64-bit edges, which values generated from the document miss
QUERY_VALUES = {
    "cursor": cursors,
    "limit": query_numbers,
    "beforeSeq": query_numbers,
    "afterSeq": query_numbers,
    "from": query_numbers,
    "to": query_numbers,
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


async def _seed(url: str) -> dict[str, str]:
    """A business with a room, a message, a FAQ entry and a webhook with one delivery (never
    sent: the server runs with WEBHOOK_CONCURRENCY=0, so generated URLs are never called)."""
    store = make_store(Settings(database_url=url))
    try:
        await migrate.upgrade(store.engine)
        business = await store.create_business("Acme", 1_767_225_600_000)
        webhooks = SqlWebhookStore(store.engine)
        service = WebhookService(webhooks, store, targets=TargetGuard(allow_private=True))  # a loopback URL
        hook = await service.create(business.id, "http://127.0.0.1:9/h", None, created_by="t")
        room = await store.create_room(
            NewRoom(
                business.id, "Chat with G", "guest", None, "G", True, "guest_1_aaaaaaaa", "ua", None, ("anonymous",)
            ),
            1_767_225_600_000,
        )
        await store.append_message(NewMessage(room.id, "guest_1_aaaaaaaa", SenderType.GUEST, "G", True, "hi"), 1)
        # the room's metadata carries pageViews: checked against the document's Room too
        await store.record_page_view(room.id, PageView("https://shop.example/pricing", "Pricing", 2), keep=20)
        faq = await store.create_faq(business.id, FaqFields("Hours?", "9-5", ("hours",), True), 1)
        assert await webhooks.dispatch(2, 100) == 2  # room.created and message.created become deliveries
        [delivery, failed] = (await webhooks.list_deliveries(hook.id, status=None, limit=10, cursor=None)).deliveries
        await webhooks.record(delivery.id, AttemptResult(status=200), now=3, next_attempt_at=None)
        await webhooks.record(failed.id, AttemptResult(status=503, error="HTTP 503"), now=3, next_attempt_at=None)
    finally:
        await store.close()
    return {
        "businessId": business.id,
        "roomId": room.id,
        "faqId": faq.id,
        "webhookId": hook.id,
        "deliveryId": delivery.id,
        "guestId": "guest_1_aaaaaaaa",  # the room's guest: its export answers 200
    }


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('openapi') / 'chat.db'}"
    ids = run_aside(_seed(url))
    env = {"DATABASE_URL": url, "JWT_SECRET": SECRET, "LOG_LEVEL": "ERROR", "WEBHOOK_CONCURRENCY": "0"}
    with ServerProcess(env) as server:
        yield {"base": server.http_url, "ids": ids, "token": make_token("staff", "Alice", ids["businessId"])}


@pytest.mark.timeout(300)
def test_the_live_server_conforms_to_its_openapi_document(live_server: dict[str, Any]) -> None:
    """Positive and negative examples for every operation (schemathesis's pytest plugin is not
    used: it does not support pytest 9; the strategies it builds are driven here directly)."""
    schema = schemathesis.openapi.from_url(f"{live_server['base']}/api/openapi.json")
    ids = live_server["ids"]
    headers = {"Authorization": f"Bearer {live_server['token']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {(path, method) for path, item in schema.raw_schema["paths"].items() for method in item}
    documented = {(path, method) for path, method in documented if method != "parameters"}
    # schemathesis leaves out the operation serving the document it loaded (it was just fetched)
    assert {(op.path, op.method.lower()) for op in operations} == documented - {("/api/openapi.json", "get")}
    assert any(op.path.startswith("/api/webhooks") for op in operations)
    failures: list[str] = []
    calls = [0]

    def conformance_test(operation: Any, mode: GenerationMode) -> Any:
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
        def run(case: Any, data: Any) -> None:
            # most examples use real ids, so success responses are checked too
            for name in ("businessId", "roomId", "faqId", "webhookId", "guestId"):
                if case.path_parameters and name in case.path_parameters and len(str(case.path_parameters[name])) % 4:
                    case.path_parameters[name] = ids[name]
            if isinstance(case.query, dict) and isinstance(case.query.get("businessId"), str):
                case.query["businessId"] = ids["businessId"]
            if isinstance(case.query, dict):  # cursors and bounds past the storage's integers, too
                for name in sorted(QUERY_VALUES.keys() & case.query.keys()):
                    if data.draw(st.booleans(), label=f"replace {name}"):
                        case.query[name] = data.draw(QUERY_VALUES[name], label=name)
            for name in ("businessId", "deliveryId"):  # request bodies of the webhook API
                if isinstance(case.body, dict) and isinstance(case.body.get(name), str) and len(case.body[name]) % 4:
                    case.body[name] = ids[name]
            calls[0] += 1
            try:
                case.call_and_validate(base_url=live_server["base"], headers=headers, checks=CHECKS)
            except AssertionError as exc:
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:800]}")
                raise

        return run

    # deletions last: the seeded FAQ entry and webhook stay for the other operations
    for operation in sorted(operations, key=lambda op: op.method.lower() == "delete"):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                conformance_test(operation, mode)()
            except AssertionError:
                continue
            except Unsatisfiable:
                # nothing in this operation can be made invalid (no parameters or body)
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert failures == []
    assert calls[0] >= len(operations)
