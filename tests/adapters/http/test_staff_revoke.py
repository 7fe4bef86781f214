"""Staff token versions: a login token carries its account's version (claim ``ver``);
``chatserver staff revoke EMAIL`` and ``chatserver staff password EMAIL`` bump it, and every
token issued before stops working — over REST, for new WebSocket connections and for those
already open — on a running server, from another process, within the refresh interval. Tokens
of staff without an account here (issued elsewhere) are not affected."""

from __future__ import annotations

import asyncio
import time

import pytest

from chatserver.config import Settings
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.token_versions import POLL_S
from chatserver.usecases.tokens import TokenVerifier, issue_token
from tests.conftest import make_token
from tests.procs import arun_cli
from tests.rest import api

PASSWORD = "correct horse battery"


def _env(settings: Settings) -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url, "DATABASE_SCHEMA": settings.database_schema}


async def _login(base_url: str, password: str = PASSWORD) -> tuple[int, dict]:
    return await api(base_url, "POST", "/api/auth/login", body={"email": "alice@example.com", "password": password})


async def _rooms(base_url: str, business: str, token: str) -> int:
    return (await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", token))[0]


async def _until_refused(base_url: str, business: str, token: str) -> float:
    """Seconds until the server refuses ``token`` (the revocation came from another process)."""
    start = time.monotonic()
    while await _rooms(base_url, business, token) == 200:
        assert time.monotonic() - start < POLL_S + 3, "the revoked token still works"
        await asyncio.sleep(0.1)
    return time.monotonic() - start


async def test_revoke_stops_every_token_issued_before_and_a_new_login_works(
    runtime, base_url, connect, business, settings
):
    account = await runtime.staff_auth.add_staff(business, "alice@example.com", "Alice", PASSWORD)
    old = (await _login(base_url))[1]["token"]
    external = make_token("staff", "Bob", business)  # no account here: not affected
    assert await _rooms(base_url, business, old) == 200
    revoked = await arun_cli("staff", "revoke", "alice@example.com", env=_env(settings))
    assert revoked.returncode == 0 and "token version 1" in revoked.stdout, revoked.stderr
    await _until_refused(base_url, business, old)
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", old)
    assert status == 401 and body["error"]["code"] == "auth_invalid" and body["error"]["message"] == "token revoked"
    refused = await connect(token=old, first=False)
    assert (await refused.next())["data"]["code"] == "auth_invalid" and await refused.wait_closed() == 4401
    status, fresh = await _login(base_url)
    assert status == 200 and await _rooms(base_url, business, fresh["token"]) == 200
    assert await _rooms(base_url, business, external) == 200
    env = {**_env(settings), "JWT_SECRET": settings.jwt_secret}
    printed = await arun_cli(
        "token", "--role", "staff", "--business", business, "--name", "A", "--sub", account.user_id, env=env
    )
    assert printed.returncode == 0 and await _rooms(base_url, business, printed.stdout.strip()) == 200  # current ver


async def test_a_new_password_revokes_the_old_tokens_and_the_old_password(runtime, base_url, business, settings):
    await runtime.staff_auth.add_staff(business, "alice@example.com", "Alice", PASSWORD)
    old = (await _login(base_url))[1]["token"]
    changed = await arun_cli(
        "staff", "password", "alice@example.com", env=_env(settings), stdin="a brand new passphrase\n"
    )
    assert changed.returncode == 0, changed.stderr
    await _until_refused(base_url, business, old)
    assert (await _login(base_url))[0] == 401
    status, fresh = await _login(base_url, "a brand new passphrase")
    assert status == 200 and await _rooms(base_url, business, fresh["token"]) == 200


async def test_revoking_an_unknown_email_says_so(settings, runtime):
    result = await arun_cli("staff", "revoke", "nobody@example.com", env=_env(settings))
    assert result.returncode == 1 and "no staff account with this email" in result.stderr


def test_the_verifier_wants_the_current_version_from_revoked_accounts_only():
    versions = {"staff-abc": 2}
    verifier = TokenVerifier(secret="s" * 32, required_version=lambda sub: versions.get(sub, 0))

    def token(sub: str, **extra: object) -> str:
        return issue_token("s" * 32, sub=sub, role="staff", name="A", business_id="b", extra=dict(extra))

    assert verifier.verify(token("staff-abc", ver=2)).user_id == "staff-abc"
    for stale in (token("staff-abc", ver=1), token("staff-abc")):
        with pytest.raises(ChatError) as info:
            verifier.verify(stale)
        assert info.value.code is ErrorCode.AUTH_INVALID
    assert verifier.verify(token("staff-other")).user_id == "staff-other"


async def test_an_open_websocket_of_a_revoked_account_is_closed(runtime, base_url, connect, business, settings):
    """A token checked when its connection opened does not keep working after a revocation: the
    connection gets ``auth_invalid`` and 4401 within the refresh interval; another staff
    member's connection stays open."""
    await runtime.staff_auth.add_staff(business, "alice@example.com", "Alice", PASSWORD)
    token = (await _login(base_url))[1]["token"]
    alice = await connect(token=token)
    bob = await connect(token=make_token("staff", "Bob", business))
    revoked = await arun_cli("staff", "revoke", "alice@example.com", env=_env(settings))
    assert revoked.returncode == 0, revoked.stderr
    frame = await alice.wait_for("error", timeout=POLL_S + 5)
    assert frame["data"]["code"] == "auth_invalid" and frame["data"]["message"] == "token revoked"
    assert await alice.wait_closed() == 4401
    assert bob.close_code is None
    left = await bob.call("chat:leave-room", {"roomId": "r" * 24})  # still served
    assert left["left"] is False
