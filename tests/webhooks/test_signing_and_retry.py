"""The signature scheme (and the README's verification snippet) and the retry schedule."""

from __future__ import annotations

import random
import re
from pathlib import Path

from chatserver.webhooks.retry import RetryPolicy
from chatserver.webhooks.signing import new_secret, signature_header, verify

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_snippet() -> dict[str, object]:
    """Run the README's receiver-side verification code and return its namespace."""
    text = README.read_text()
    match = re.search(r"<!-- webhook-verify -->\s*```python\n(.*?)```", text, re.S)
    assert match, "README has no webhook verification snippet"
    namespace: dict[str, object] = {}
    exec(compile(match.group(1), "README.md", "exec"), namespace)
    return namespace


def test_signature_verifies_and_rejects_tampering():
    secret, body = new_secret(), b'{"id":"evt_1","type":"room.created"}'
    header = signature_header(secret, 1_700_000_000, body)
    assert re.fullmatch(r"t=1700000000,v1=[0-9a-f]{64}", header)
    assert verify(secret, header, body, now=1_700_000_100)
    assert not verify(secret, header, body + b" ", now=1_700_000_100)
    assert not verify("whsec_other", header, body, now=1_700_000_100)
    assert not verify(secret, header, body, now=1_700_000_000 + 301)  # too old: a replay
    assert not verify(secret, "v1=abc", body, now=1_700_000_000)


def test_readme_snippet_verifies_our_signatures():
    namespace = readme_snippet()
    check = namespace["verify_chatserver_signature"]
    assert callable(check)
    secret, body = new_secret(), '{"id":"evt_2","type":"message.created","data":{"message":{"content":"é"}}}'.encode()
    import time

    header = signature_header(secret, int(time.time()), body)
    assert check(secret, header, body) is True
    assert check(secret, header, body.replace(b"evt_2", b"evt_3")) is False
    assert check(secret, signature_header(secret, int(time.time()) - 3600, body), body) is False


def test_default_schedule_retries_for_at_least_a_day():
    policy = RetryPolicy()
    rand = random.Random(7).random
    now, attempts, times = 0, 0, []
    while True:
        attempts += 1
        times.append(now)
        following = policy.next_attempt(attempts, 0, now, rand=rand)
        if following is None:
            break
        assert following > now
        now = following
    assert times[-1] >= 86_400_000, "the last attempt happens a day or more after the first"
    assert 20 <= attempts <= 40
    assert policy.schedule(count=4) == [10_000, 20_000, 40_000, 80_000]
    assert max(policy.schedule(count=30)) == 3_600_000


def test_small_settings_bound_the_schedule_for_tests():
    policy = RetryPolicy(base_ms=10, max_ms=40, window_ms=100)
    assert policy.next_attempt(1, retry_from=0, now=50, rand=lambda: 0.5) == 60
    assert policy.next_attempt(9, retry_from=0, now=99, rand=lambda: 0.5) == 139
    assert policy.next_attempt(9, retry_from=0, now=100) is None
