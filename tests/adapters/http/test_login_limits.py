"""Staff login limits: per address, per email and address, and a per-email slowdown that never
locks the owner out. Over real sockets behind a (trusted) proxy header, so each request can come
from its own address; the slowdown is checked on the use case with its clock-free sleep."""

from __future__ import annotations

from typing import Any

import pytest

from chatserver.adapters.memory.limits import MemoryRateLimiter
from chatserver.config import Settings
from chatserver.domain.clock import now_ms
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.staffauth import SLOWDOWN_S, StaffAuth
from tests.adapters.http.served import http_server  # noqa: F401 - the server under test
from tests.rest import api

PASSWORD = "correct horse battery"


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"trust_proxy_headers": True}  # the defaults of every login limit


async def _login(base_url: str, email: str, password: str, address: str) -> tuple[int, Any]:
    body = {"email": email, "password": password}
    return await api(base_url, "POST", "/api/auth/login", body=body, headers={"X-Real-IP": address})


async def test_wrong_passwords_from_one_address_do_not_lock_out_the_owner_elsewhere(runtime, base_url, business):
    await runtime.staff_auth.add_staff(business, "alice@example.com", "Alice", PASSWORD)
    for _ in range(10):
        assert (await _login(base_url, "alice@example.com", "guess", "203.0.113.7"))[0] == 401
    status, body = await _login(base_url, "alice@example.com", PASSWORD, "203.0.113.7")
    assert status == 429 and body["error"]["code"] == "rate_limited" and body["error"]["retryAfterMs"] > 0
    status, body = await _login(base_url, "alice@example.com", PASSWORD, "198.51.100.20")
    assert status == 200 and body["staff"]["email"] == "alice@example.com"


async def test_spraying_many_emails_from_one_address_is_refused(runtime, base_url, business):
    statuses = [(await _login(base_url, f"user{i}@example.com", "guess", "203.0.113.8"))[0] for i in range(50)]
    assert statuses == [401] * 30 + [429] * 20
    status, body = await _login(base_url, "user0@example.com", "guess", "203.0.113.8")
    assert status == 429 and "address" in body["error"]["message"]
    assert (await _login(base_url, "user0@example.com", "guess", "198.51.100.21"))[0] == 401  # others unaffected


async def test_beyond_the_per_email_bound_attempts_wait_and_the_right_password_still_works(runtime, settings, business):
    await runtime.staff_auth.add_staff(business, "bob@example.com", "Bob", PASSWORD)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    bounded = Settings(**{**settings.__dict__, "login_attempts_per_email": 3})
    auth = StaffAuth(store=runtime.store, limiter=MemoryRateLimiter(), settings=bounded, clock=now_ms, sleep=sleep)
    for i in range(3):  # a distributed guess: one attempt from each of many addresses
        with pytest.raises(ChatError) as refused:
            await auth.login("bob@example.com", "guess", f"192.0.2.{i}")
        assert refused.value.code is ErrorCode.AUTH_INVALID
    assert waits == []
    with pytest.raises(ChatError) as refused:
        await auth.login("bob@example.com", "guess", "192.0.2.50")
    assert refused.value.code is ErrorCode.AUTH_INVALID and waits == [SLOWDOWN_S]  # slowed, not rate_limited
    login = await auth.login("bob@example.com", PASSWORD, "192.0.2.99")
    assert login.account.email == "bob@example.com" and waits == [SLOWDOWN_S, SLOWDOWN_S]
