"""Guest data retention (issue 16): erase the guests idle longer than their business keeps data.

How long: ``domain.privacy.retention_days`` — the business's ``guestRetentionDays`` within the
operator's ``GUEST_DATA_RETENTION_DAYS`` ceiling; neither set means keep. Each round erases at
most ``batch`` guests (oldest activity first), each through ``Privacy.erase_unchecked``, so a
retention erase has every effect a staff erase has (pushes, live close, webhook event) and a
large backlog is worked off over several rounds instead of one long burst of deletes.

One instance sweeps at a time (the store's ``sweep_lock``); the others skip the round. The task
is supervised like the session sweeper: errors logged, the next round retried, cancelled on
shutdown.
"""

from __future__ import annotations

import logging

from chatserver.domain.business import DAY_MS
from chatserver.domain.clock import Clock
from chatserver.domain.privacy import Subject, SubjectKind, retention_days
from chatserver.ports.privacy import RetentionStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.automation import parse_settings
from chatserver.usecases.periodic import Periodic
from chatserver.usecases.privacy import Privacy

log = logging.getLogger("chatserver.retention")

BATCH = 100  # guests erased per round at most


class RetentionSweeper(Periodic):
    """Runs whenever its interval is not 0: without the server setting, a business may still
    set a retention of its own."""

    name = "retention-sweeper"

    def __init__(
        self,
        store: RetentionStore,
        privacy: Privacy,
        *,
        server_days: int,
        interval_s: float,
        clock: Clock,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.privacy = privacy
        self.server_days = server_days
        super().__init__(interval_s=interval_s)
        self.clock = clock
        self.batch = batch

    async def sweep_once(self) -> int:
        """Erase up to ``batch`` idle guests; returns how many (0 when another instance sweeps)."""
        async with self.store.sweep_lock() as held:
            if not held:
                return 0
            erased = 0
            # without the server's period only businesses with one of their own can have a cutoff
            documents = await self.store.business_settings(with_retention_only=not self.server_days)
            for business_id, document in sorted(documents.items()):
                if erased >= self.batch:
                    break
                days = retention_days(parse_settings(document).guest_retention_days, self.server_days)
                if days is None:
                    continue
                cutoff = self.clock() - days * DAY_MS
                for guest_id in await self.store.idle_guests(business_id, cutoff, self.batch - erased):
                    erased += await self._erase(business_id, guest_id)
        if erased:
            log.info("retention: erased %d idle guest(s)", erased)
        return erased

    async def _erase(self, business_id: str, guest_id: str) -> int:
        try:
            await self.privacy.erase_unchecked(business_id, Subject(SubjectKind.GUEST, guest_id))
        except ChatError as err:
            if err.code is not ErrorCode.NOT_FOUND:
                raise
            return 0  # erased meanwhile by staff
        return 1
