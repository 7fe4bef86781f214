"""Webhooks reach only public addresses unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on: every
loopback, private, link-local, CGNAT, multicast, unspecified or embedded form is refused at
registration (REST and CLI) with ``invalid_payload`` on ``url``, and again at connect time, where
a name that now resolves to a private address (DNS rebinding) is never connected to. Delivery
errors say "could not connect" / "timed out" / the HTTP status, nothing socket-level."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from chatserver.adapters.http.outgoing import TornadoSender
from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.domain.clock import now_ms
from chatserver.domain.webhooks import Webhook
from chatserver.protocol import ChatError
from chatserver.webhooks.service import NOT_PUBLIC, WebhookService
from chatserver.webhooks.signing import new_secret
from chatserver.webhooks.targets import Address, TargetGuard, is_public, numeric_host
from tests.procs import arun_cli, free_port
from tests.rest import api
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhook_delivery import FAST, guest_chat

STRICT = {key: value for key, value in FAST.items() if key != "webhook_allow_private_networks"}

# the forms of the security report, then the other ranges and spellings the guard refuses
REPORTED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://127.0.0.1:5432/",
    "http://[::1]/",
    "http://2130706433/",
    "http://[::ffff:169.254.169.254]/",
]
ALSO_REFUSED = [
    "http://localhost:8080/hooks",  # a name resolving to loopback
    "http://0x7f.1/",
    "http://017700000001/",
    "http://127.1/",
    "https://192.168.1.10/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",  # unique-local
    "http://[fec0::1]/",  # site-local
    "http://[::ffff:10.0.0.1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://192.0.2.1/",  # documentation
    "http://198.18.0.1/",  # benchmarking
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
]


@pytest.fixture
def overrides() -> dict[str, Any]:
    return dict(STRICT)  # WEBHOOK_ALLOW_PRIVATE_NETWORKS left at its default, off


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "169.254.169.254", "100.127.255.254", "::1", "fe80::1", "fc00::1", "ff0e::1",
     "::ffff:127.0.0.1", "2002:a00:1::", "64:ff9b::7f00:1", "64:ff9b:1::1", "2001:db8::1", "2001::1"],
)  # fmt: skip
def test_non_public_addresses(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::", "64:ff9b::808:808"]
)
def test_public_addresses_and_their_embedded_forms(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001", "127.1", "0x7f000001", "127.0.0.1"])
def test_numeric_hosts_are_read_as_the_resolver_reads_them(host):
    assert numeric_host(host) == ipaddress.IPv4Address("127.0.0.1")
    assert numeric_host("hooks.example.com") is None


async def test_every_reported_form_is_refused_at_registration(base_url, business, staff_token):
    for url in REPORTED + ALSO_REFUSED:
        status, reply = await api(base_url, "POST", "/api/webhooks", staff_token, {"businessId": business, "url": url})
        assert status == 400, (url, reply)
        assert reply["error"] == {"code": "invalid_payload", "message": NOT_PUBLIC, "field": "url"}, url
    _, listed = await api(base_url, "GET", f"/api/webhooks?businessId={business}", staff_token)
    assert listed["webhooks"] == []


async def test_a_name_that_does_not_resolve_is_refused_with_the_same_answer(runtime, business):
    service = WebhookService(SqlWebhookStore(runtime.store.engine), runtime.store)
    with pytest.raises(ChatError) as refused:
        await service.create(business, "https://no-such-host.invalid/hooks", None, created_by="t")
    assert refused.value.message == NOT_PUBLIC and refused.value.field == "url"


class FlippingDns:
    """A rebinding DNS: a public answer while the webhook is registered, loopback afterwards."""

    def __init__(self) -> None:
        self.answers = ["93.184.215.14", "127.0.0.1"]
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int, family: socket.AddressFamily) -> list[Address]:
        self.asked.append(host)
        address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [(socket.AF_INET, (address, port))]


async def test_a_name_rebound_to_loopback_after_registration_is_not_connected_to(runtime, business):
    receiver = await Receiver().start()
    dns = FlippingDns()
    guard = TargetGuard(resolve=dns)
    sender = TornadoSender(targets=guard)
    try:
        service = WebhookService(SqlWebhookStore(runtime.store.engine), runtime.store, targets=guard)
        hook = await service.create(business, f"http://rebind.test:{receiver.port}/hooks", None, created_by="t")
        result = await sender.post(hook.url, b"{}", {"Content-Type": "application/json"}, 2000)
        assert dns.asked == ["rebind.test", "rebind.test"], "checked at registration and again at connect"
        assert result.status is None and result.error == "could not connect"
        assert "127.0.0.1" in (result.detail or ""), "the reason is for the operator's log"
        assert receiver.requests == []
    finally:
        await sender.close()
        await receiver.close()


async def test_the_sender_connects_to_the_checked_address_and_keeps_the_name():
    """Allowed to reach loopback, the sender still connects only where the guard resolved the
    name (``hooks.test`` exists in no real DNS) and sends that name as the Host header."""
    receiver = await Receiver().start()

    async def resolve(host: str, port: int, family: socket.AddressFamily) -> list[Address]:
        assert host == "hooks.test"
        return [(socket.AF_INET, ("127.0.0.1", port))]

    sender = TornadoSender(targets=TargetGuard(allow_private=True, resolve=resolve))
    try:
        result = await sender.post(f"http://hooks.test:{receiver.port}/hooks", b"{}", {}, 2000)
        assert result.status == 200 and result.ok
        assert receiver.requests[0].headers["host"] == f"hooks.test:{receiver.port}"
        unreachable = await sender.post(f"http://hooks.test:{free_port()}/hooks", b"{}", {}, 2000)
        assert unreachable.status is None and unreachable.error == "could not connect"
        assert "ConnectionRefusedError" in (unreachable.detail or ""), "the socket reason stays in the log"
    finally:
        await sender.close()
        await receiver.close()


async def test_a_stored_loopback_webhook_fails_at_connect_with_could_not_connect(
    runtime, base_url, ws_url, business, staff_token, receiver
):
    """A webhook stored while the setting was on (or before this check existed), reached with it
    off: the worker refuses the address, the receiver sees nothing, staff see "could not connect"."""
    hook = Webhook(
        id="hook-loopback",
        business_id=business,
        url=f"http://localhost:{receiver.port}/hooks",
        events=("room.created",),
        secret=new_secret(),
        created_at=now_ms(),
        created_by="earlier",
    )
    await SqlWebhookStore(runtime.store.engine).add_webhook(hook)
    guest, _ = await guest_chat(ws_url, business, 0)
    path = f"/api/webhooks/{hook.id}/deliveries"
    for _ in range(200):
        _, page = await api(base_url, "GET", path, staff_token)
        if page["deliveries"] and page["deliveries"][0]["attempts"] >= 2:
            break
        await asyncio.sleep(0.05)
    [delivery] = page["deliveries"]
    assert delivery["attempts"] >= 2 and delivery["lastError"] == "could not connect", delivery
    assert delivery["lastStatus"] is None
    assert receiver.requests == []
    await guest.aclose()


@pytest.fixture
def allowed(overrides: dict[str, Any]) -> None:
    overrides["webhook_allow_private_networks"] = True


async def test_with_private_networks_allowed_loopback_is_registered_and_delivered(
    allowed, base_url, ws_url, business, staff_token, receiver
):
    for url in (receiver.url, f"http://localhost:{receiver.port}/hooks"):
        status, reply = await api(base_url, "POST", "/api/webhooks", staff_token, {"businessId": business, "url": url})
        assert status == 201, reply
    guest, _ = await guest_chat(ws_url, business, 0)
    await receiver.wait_until(lambda: len(receiver.ok()) == 2)  # room.created, to each webhook
    assert {r.json["type"] for r in receiver.ok()} == {"room.created"}
    await guest.aclose()


async def test_the_cli_refuses_a_private_url_unless_the_setting_allows_it(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", "LOG_LEVEL": "ERROR"}
    assert (await arun_cli("migrate", env=env)).returncode == 0
    business = (await arun_cli("business", "add", "Acme", env=env)).stdout.strip()
    add = ("webhook", "add", "--business", business, "--url", "http://169.254.169.254/latest/meta-data/")
    refused = await arun_cli(*add, env={**env, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "false"})
    assert refused.returncode == 1 and f"invalid_payload: {NOT_PUBLIC}" in refused.stdout, refused
    added = await arun_cli(*add, env={**env, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"})
    assert added.returncode == 0, added
    assert json.loads(added.stdout)["url"] == "http://169.254.169.254/latest/meta-data/"
