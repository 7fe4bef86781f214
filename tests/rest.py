"""The one HTTP/REST client of the tests, the benchmark and the process helpers.

Why one: the request (URL, method, bearer token, JSON body, headers) and the decoding of the
reply used to be written four times, in slightly different ways (some raised on 4xx, some sent
no ``Content-Type``). Here it is built once, on the standard library only, so ``scripts/bench``
(installed without the test extras) and the server-process wrapper (``tests.procs``) can use it.

``rest`` is the blocking call: browser tests (Playwright's sync API), process health probes and
other synchronous code. ``api`` is the very same call for ``async`` tests: it runs on a worker
thread, so an in-process server on the test's own event loop keeps answering while it waits.
Neither raises on an HTTP error status: every status is returned for the test to assert.
Proxies from the environment are ignored: every request goes to the address it names.
"""

from __future__ import annotations

import asyncio
import functools
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ParamSpec, TypeVar

TIMEOUT_S = 20.0  # what tornado's client, used before, allowed a request
WITH_BODY = ("POST", "PUT", "PATCH")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

P = ParamSpec("P")
T = TypeVar("T")


def rest(
    base_url: str,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
    decode: bool = True,
) -> tuple[int, Any]:
    """One request: (status, the JSON body decoded, ``None`` when empty; or with ``decode=False``
    the body's bytes, for pages and metrics). ``body`` is sent as JSON, ``raw`` as it is (malformed
    input); POST/PUT/PATCH without either send an empty body. ``headers`` come last, so a test can
    send any ``Authorization`` it likes. Raises ``OSError`` when nothing answers."""
    payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    if payload is None and method in WITH_BODY:
        payload = b""
    request = urllib.request.Request(f"{base_url}{path}", data=payload, method=method)
    if payload is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, reply = int(response.status), bytes(response.read())
    except urllib.error.HTTPError as err:
        with err:
            status, reply = int(err.code), bytes(err.read())
    if not decode:
        return status, reply
    return status, json.loads(reply) if reply else None


def on_a_thread(call: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """``call`` for async code: same arguments, run on a worker thread and awaited."""

    @functools.wraps(call)
    async def awaited(*args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(call, *args, **kwargs)

    return awaited


api = on_a_thread(rest)  # ``await api(base_url, "GET", path, token)``: ``rest`` for async tests
