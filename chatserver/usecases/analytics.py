"""The business analytics report: who started conversations, how many guests were converted,
how fast staff answered. The numbers are computed by the store in SQL (``analytics_sql.py``).

With ``bucket=day`` the report also carries ``series``: the room counts per UTC day, one entry
for every day the window touches (days without rooms count zero), so a dashboard can draw
conversations and conversion over time from one request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from chatserver.domain.business import DAY_MS, Analytics, DayCounts
from chatserver.domain.clock import Clock
from chatserver.domain.models import Principal
from chatserver.ports.business_store import AnalyticsStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.conversations import require_staff_of

DEFAULT_WINDOW_MS = 30 * 24 * 3600 * 1000
MAX_INSTANT_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
BUCKETS = ("day",)
MAX_SERIES_DAYS = 366  # a year of days per request keeps the answer small


def parse_instant(raw: str | None, field: str) -> int | None:
    """ISO 8601 (``2026-01-05T10:30:00Z``; a date alone is midnight UTC) or epoch milliseconds."""
    if raw is None or raw == "":
        return None
    if raw.isascii() and raw.isdigit():  # str.isdigit alone admits "²", which int() refuses
        if len(raw.lstrip("0")) > len(str(MAX_INSTANT_MS)) or (value := int(raw)) > MAX_INSTANT_MS:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field} is after the year 9999", field=field)
        return value
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ChatError(
            ErrorCode.INVALID_PAYLOAD, f"{field} must be ISO 8601 or epoch milliseconds", field=field
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def fill_days(counts: list[DayCounts], from_ms: int, to_ms: int) -> tuple[DayCounts, ...]:
    """One entry per UTC day touched by ``[from_ms, to_ms)``, in order; missing days count zero."""
    by_day = {entry.day: entry for entry in counts}
    first, last = from_ms // DAY_MS, (to_ms - 1) // DAY_MS
    return tuple(by_day.get(day, DayCounts(day)) for day in range(first, last + 1))


class AnalyticsSource(AnalyticsStore, Protocol):
    """The slice of the store the report reads."""


class Reports:
    def __init__(self, *, store: AnalyticsSource, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def report(
        self,
        principal: Principal | None,
        business_id: str,
        raw_from: str | None,
        raw_to: str | None,
        bucket: str | None = None,
    ) -> Analytics:
        require_staff_of(principal, business_id)
        if bucket is not None and bucket not in BUCKETS:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "bucket must be 'day' (or absent)", field="bucket")
        to_ms = parse_instant(raw_to, "to")
        from_ms = parse_instant(raw_from, "from")
        if to_ms is None:
            to_ms = self.clock() + 1
        if from_ms is None:
            from_ms = to_ms - DEFAULT_WINDOW_MS
        if from_ms >= to_ms:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "from must be before to", field="from")
        if bucket is not None and (to_ms - 1) // DAY_MS - from_ms // DAY_MS >= MAX_SERIES_DAYS:
            raise ChatError(
                ErrorCode.INVALID_PAYLOAD, f"bucket=day covers at most {MAX_SERIES_DAYS} days", field="bucket"
            )
        report = await self.store.analytics(business_id, from_ms, to_ms)
        if bucket is None:
            return report
        daily = await self.store.analytics_by_day(business_id, from_ms, to_ms)
        return replace(report, series=fill_days(daily, from_ms, to_ms))
