"""The conformance suite against our own server: in-process on SQLite and PostgreSQL, and
through the CLI against two ``chatserver serve`` processes sharing one PostgreSQL schema and one
Redis (``--cluster``: all cases). Also
proves the suite has teeth: servers broken on purpose fail the matching cases."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from chatserver.composition import make_store
from chatserver.config import Settings
from chatserver.conformance.case import Need
from chatserver.conformance.context import SuiteConfig
from chatserver.conformance.runner import Outcome, all_cases, exit_code, run_suite
from chatserver.conformance.tokens import TokenSource
from chatserver.domain.clock import now_ms
from tests.conftest import SECRET
from tests.procs import ServerProcess, run_cli, start_together
from tests.services import PG_URL, REDIS_URL, postgres_schema, redis_prefix, require_postgres, run_aside

pytestmark = pytest.mark.timeout(180)


def create_businesses(schema: str, count: int) -> list[str]:
    """Straight into the database: one CLI call is exercised above, more would only cost time."""

    async def create() -> list[str]:
        store = make_store(Settings(database_url=PG_URL, database_schema=schema))
        try:
            return [(await store.create_business(f"Biz {i}", now_ms())).id for i in range(count)]
        finally:
            await store.close()

    return run_aside(create())


async def businesses(runtime: Any, count: int) -> tuple[str, ...]:
    return tuple([(await runtime.store.create_business(f"Conformance {i}", now_ms())).id for i in range(count)])


async def test_our_server_conforms(runtime, ws_url):
    lines: list[str] = []
    config = SuiteConfig(
        urls=(ws_url,), businesses=await businesses(runtime, 6), tokens=TokenSource(secret=SECRET), timeout=5.0
    )
    results = await run_suite(config, out=lines.append)
    report = "\n".join(lines)
    assert exit_code(results) == 0, report
    assert len(results) >= 40 and all(r.outcome is Outcome.OK for r in results), report
    assert lines[-1].endswith("CONFORMS")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_broken_server_fails_the_matching_cases(runtime, ws_url, monkeypatch):
    """Three deliberate protocol violations, each caught by the case that checks that rule."""
    import chatserver.protocol.handshake as handshake_module

    monkeypatch.setattr(handshake_module, "PROTOCOL_VERSION", "v0")
    gateway = runtime.gateway
    real_authenticate = gateway.authenticate

    def lenient(credentials: Any) -> Any:
        try:
            return real_authenticate(credentials)
        except Exception:
            return None  # the bug: a bad token becomes a guest

    monkeypatch.setattr(gateway, "authenticate", lenient)
    real_send = gateway.handlers["chat:send-message"]

    async def forgetful_send(client: Any, data: dict[str, Any]) -> dict[str, Any]:
        return await real_send(client, {k: v for k, v in data.items() if k != "clientMsgId"})

    monkeypatch.setitem(gateway.handlers, "chat:send-message", forgetful_send)

    lines: list[str] = []
    config = SuiteConfig(
        urls=(ws_url,),
        businesses=await businesses(runtime, 1),
        tokens=TokenSource(secret=SECRET),
        only=(
            "handshake.protocol-version",
            "handshake.auth-bad-signature",
            "send.idempotent-client-msg-id",
            "rest.health",
        ),
    )
    results = await run_suite(config, out=lines.append)
    outcome = {r.case.name: r for r in results}
    assert exit_code(results) == 1
    assert outcome["handshake.protocol-version"].outcome is Outcome.FAIL
    assert "'v0'" in outcome["handshake.protocol-version"].reason
    assert outcome["handshake.auth-bad-signature"].outcome is Outcome.FAIL
    assert "downgraded to a guest" in outcome["handshake.auth-bad-signature"].reason
    assert outcome["send.idempotent-client-msg-id"].outcome is Outcome.FAIL
    assert outcome["rest.health"].outcome is Outcome.OK
    assert lines[-1].endswith("DOES NOT CONFORM")


def test_a_two_instance_cluster_conforms_through_the_cli():
    """Two ``chatserver serve`` processes on one freshly migrated PostgreSQL schema and one Redis
    (a key prefix of this test's own), checked with ``--url A --url B --cluster``: every case of
    the suite runs, the live delivery between instances included, and passes."""
    require_postgres()
    with postgres_schema() as schema, redis_prefix() as prefix:
        env = {
            "DATABASE_URL": PG_URL,
            "DATABASE_SCHEMA": schema,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": prefix,
            "JWT_SECRET": SECRET,
            "LOG_LEVEL": "WARNING",
        }
        assert run_cli("migrate", env=env).returncode == 0
        ids = [run_cli("business", "add", "Biz 0", env=env).stdout.strip(), *create_businesses(schema, 5)]
        a, b = start_together(ServerProcess(env), ServerProcess(env))
        with a, b:
            args = ["conformance", "--url", a.ws_url, "--url", b.ws_url, "--cluster"]
            args += [arg for business in ids for arg in ("--business", business)]
            result = run_cli(*args, env=env, timeout=150)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    every = len(all_cases())
    assert f"{every} passed, 0 failed, 0 skipped of {every} cases: CONFORMS" in report, report
    assert "not selected" not in report, report
    for case in all_cases():
        assert f"PASS {case.name} " in report, report


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_token_command_supplies_tokens(runtime, ws_url):
    """With ``--token-command`` (here ``chatserver token``) instead of the key: the cases that need
    the key are SKIPs, which makes the run incomplete (exit 3), never green."""
    command = f"{sys.executable} -m chatserver token --jwt-secret {SECRET}"
    config = SuiteConfig(
        urls=(ws_url,),
        businesses=await businesses(runtime, 1),
        tokens=TokenSource(command=command),
        only=("handshake.",),
    )
    lines: list[str] = []
    results = await run_suite(config, out=lines.append)
    skipped = sorted(r.case.name for r in results if r.outcome is Outcome.SKIP)
    assert skipped == [
        "handshake.auth-missing-claim",
        "handshake.auth-wrong-algorithm",
        "handshake.staff-without-business",
    ]
    assert all(r.outcome is Outcome.OK for r in results if r.outcome is not Outcome.SKIP), "\n".join(lines)
    assert exit_code(results) == 3 and lines[-1].endswith("INCOMPLETE")


def test_cli_usage_errors_exit_2():
    result = run_cli("conformance", "--url", "ws://127.0.0.1:9/realtime", env={"JWT_SECRET": ""})
    assert result.returncode == 2
    assert "--business is required" in result.stdout


def test_readme_shows_a_current_passing_run():
    """The README's sample outputs list every case, each passing: the single-instance run, and
    the two-instance ``--cluster`` run with all of them."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    cases = all_cases()
    single = [c.name for c in cases if Need.TWO_URLS not in c.needs]
    for case in cases:
        assert f"PASS {case.name} " in readme, case.name
    assert f"{len(single)} passed, 0 failed, 0 skipped of {len(single)} cases: CONFORMS" in readme
    assert f"{len(cases)} passed, 0 failed, 0 skipped of {len(cases)} cases: CONFORMS" in readme
    assert f"the same {len(single)}" in readme
