"""Data minimisation: a visitor's ``User-Agent`` header is stored as a short label ("Firefox 131
on Windows"), not as the full string (issue 16).

The full header is close to a fingerprint (exact build numbers, device models, installed
add-ons) and staff need only the browser and the system to help. ``STORE_FULL_USER_AGENT=true``
keeps the full string for operators who want it.

Parsing uses ua-parser (uap-python over the shared uap-core regexes) with its compiled
``ua-parser-rs`` resolver: about 10 µs for a string never seen before, where the pure-Python
resolver takes over a millisecond. Building the resolver compiles the whole regex set (about
half a second), so it is built once per process, on first use or ahead of time in a thread
(``warm_up``), never per server instance. The same strings come back on every registration and
every room a browser opens, so labels are cached (``functools.lru_cache``): a repeat costs a
dictionary lookup, well under a microsecond.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ua_parser.core import Resolver

LABEL_CACHE_SIZE = 4096  # distinct User-Agent strings: a few MB at most (each ≤ 512 characters)
UNKNOWN = "Other"  # what uap-core calls a browser or system it does not recognise

_lock = threading.Lock()
_resolvers: list[Resolver] = []  # the process's one resolver, once built


def _resolver() -> Resolver:
    """The process-wide resolver; the first caller builds it (the others wait for it)."""
    if _resolvers:
        return _resolvers[0]
    with _lock:
        if not _resolvers:
            # imported here, so only a process that labels pays the memory and the half second;
            # the best resolver installed: ua-parser-rs (extra "regex"), else re2, else Python
            from ua_parser import BestAvailableResolver, load_builtins

            # browsers and systems only: the label never names a device, and the device rules
            # (633 of 1,270) were half of the resolver's memory (≈ 15 MiB) and build time
            browsers, systems, _devices = load_builtins()
            _resolvers.append(BestAvailableResolver((browsers, systems, [])))
    return _resolvers[0]


def warm_up() -> None:
    """Build the resolver in a background thread, so the first guest does not wait for it."""
    if not _resolvers:
        threading.Thread(target=_resolver, name="ua-parser-warm-up", daemon=True).start()


@functools.lru_cache(maxsize=LABEL_CACHE_SIZE)
def label(user_agent: str) -> str:
    """``"<browser> <major version> on <system>"``, the parts known of it: ``"Firefox 131 on
    Windows"``, ``"Mobile Safari 17 on iOS"``, ``"Other"`` when neither is recognised, ``""``
    for no header at all."""
    if not user_agent.strip():
        return ""
    from ua_parser import Domain

    parsed = _resolver()(user_agent, Domain.USER_AGENT | Domain.OS)
    browser = parsed.user_agent
    system = parsed.os
    name = ""
    if browser is not None and browser.family != UNKNOWN:
        name = f"{browser.family} {browser.major}" if browser.major else browser.family
    if system is not None and system.family != UNKNOWN:
        name = f"{name} on {system.family}" if name else system.family
    return name[:100] or UNKNOWN


def stored_user_agent(user_agent: str, *, full: bool) -> str:
    """What is stored of a visitor's header: the label, or with ``full`` the header itself."""
    return user_agent[:512] if full else label(user_agent[:512])
