"""Which staff login tokens are revoked: each staff account has a token version, login tokens
carry it (claim ``ver``), and ``chatserver staff revoke`` or a new password bumps it.

Token checks are synchronous and on every request and handshake, so they read an in-memory map
of the accounts ever revoked, refreshed from the database every ``POLL_S`` by a supervised task
(errors logged, the last map kept, the next round retried). A revocation made anywhere — the
CLI, another instance — takes effect here within that interval, without a query per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("chatserver.tokens")

POLL_S = 2.0  # the longest a revoked token keeps working on an instance
PREFIX = "staff-"  # login tokens' sub is "staff-<account id>" (StaffAccount.user_id)


class VersionSource(Protocol):
    async def staff_token_versions(self) -> dict[str, int]: ...


class TokenVersions:
    """``required(sub)``: the ``ver`` a staff token with this ``sub`` must carry (0 for accounts
    never revoked and for staff without an account here, whose tokens are issued elsewhere)."""

    def __init__(self, store: VersionSource, *, poll_s: float = POLL_S) -> None:
        self.store = store
        self.poll_s = poll_s
        self._versions: dict[str, int] = {}
        self._loaded = False
        self._listeners: list[Callable[[set[str]], object]] = []
        self._task: asyncio.Task[None] | None = None

    def on_revoked(self, listener: Callable[[set[str]], object]) -> None:
        r"""``listener(subs)`` after each refresh that found accounts revoked since the last one
        (their ``sub``\s): a token checked when its connection opened must not keep working."""
        self._listeners.append(listener)

    def required(self, sub: str) -> int:
        return self._versions.get(sub[len(PREFIX) :], 0) if sub.startswith(PREFIX) else 0

    async def refresh(self) -> None:
        versions = await self.store.staff_token_versions()
        revoked = {
            PREFIX + account for account, version in versions.items() if version > self._versions.get(account, 0)
        }
        self._versions = versions
        if revoked and self._loaded:
            for listener in self._listeners:
                try:
                    listener(revoked)
                except Exception:  # one failing listener neither stops the others nor the refresh
                    log.exception("token versions: a revocation listener failed")
        self._loaded = True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one line a round; the traceback only when debugging
                log.warning("token versions: refresh failed (%s); keeping the last ones", type(exc).__name__)
                log.debug("token versions: refresh failed", exc_info=True)

    async def start(self) -> None:
        """The first read is awaited, so no revoked token passes while the server starts."""
        await self.refresh()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="token-versions")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
