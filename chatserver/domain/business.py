"""Value objects of the business features: FAQs, contacts, staff accounts, room filters, analytics,
business settings.

Kept apart from ``models.py`` (conversations) so the store interface can name them without
pulling in the feature modules that use them. Plain data: their JSON form is
``chatserver.protocol.wire``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from chatserver.domain.locales import best_translation
from chatserver.domain.models import RoomStatus
from chatserver.domain.ratings import Csat

DAY_MS = 86_400_000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # business-hours keys, Monday first


@dataclass(frozen=True, slots=True)
class Faq:
    id: str
    business_id: str
    question: str
    answer: str
    keywords: tuple[str, ...]
    enabled: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class FaqFields:
    """A validated FAQ as given by staff (create) or the fields to change (update: None = keep)."""

    question: str | None = None
    answer: str | None = None
    keywords: tuple[str, ...] | None = None
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    business_id: str
    email: str
    phone: str | None
    name: str | None
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: str
    business_id: str
    email: str
    name: str
    password_hash: str
    created_at: int
    token_version: int = 0  # the "ver" claim of its valid login tokens

    @property
    def user_id(self) -> str:
        """The ``sub`` of its login tokens, and so its id in ``assignedTo`` and presence."""
        return f"staff-{self.id}"


@dataclass(frozen=True, slots=True)
class RoomFilter:
    """Room list filters of the dashboard; ``None`` means "any"."""

    is_guest: bool | None = None
    status: RoomStatus | None = None
    tag: str | None = None
    assigned_to: str | None = None
    text: str | None = None  # substring of the user's name or email, case-insensitive


@dataclass(frozen=True, slots=True)
class DayCounts:
    """Rooms created on one UTC day (``day`` = days since the epoch), for the analytics chart."""

    day: int
    guest_rooms: int = 0
    guest_rooms_with_email: int = 0
    converted: int = 0
    authenticated_rooms: int = 0


@dataclass(frozen=True, slots=True)
class Analytics:
    """Counts over rooms created, and messages sent, in ``[from_ms, to_ms)``; with ``series``,
    the room counts per UTC day too."""

    from_ms: int
    to_ms: int
    guest_rooms: int
    guest_rooms_with_email: int
    converted: int
    authenticated_rooms: int
    messages_by_sender_type: dict[str, int] = field(default_factory=dict)
    faq_answers: int = 0
    median_first_response_ms: int | None = None
    rooms_with_staff_reply: int = 0
    series: tuple[DayCounts, ...] | None = None
    csat: Csat = field(default_factory=Csat)  # ratings given in the window (their rated time)


@dataclass(frozen=True, slots=True)
class AutoResponse:
    enabled: bool
    message: str
    translations: dict[str, str] = field(default_factory=dict)  # locale tag (lower case) -> message

    def message_for(self, locale: str | None) -> str:
        """In the visitor's language when the business wrote it in that one, else the default."""
        return best_translation(self.translations, locale) or self.message


@dataclass(frozen=True, slots=True)
class BusinessHours:
    timezone: str
    weekly: dict[str, tuple[tuple[int, int], ...]]  # day -> (open minute, close minute) intervals

    def is_open(self, epoch_ms: int) -> bool:
        local = datetime.fromtimestamp(epoch_ms / 1000, ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.weekly.get(DAYS[local.weekday()], ()))


@dataclass(frozen=True, slots=True)
class BusinessSettings:
    """A business's automation settings, defaults filled in (``autoresponse.parse_settings``)."""

    greeting: AutoResponse
    away: AutoResponse
    lead_capture: AutoResponse
    hours: BusinessHours | None
    faq_threshold: float | None
    guest_retention_days: int | None = None  # idle guests' data is erased after it (issue 16)
    keep_page_query: bool = False  # page views keep their query string and fragment (issue 17)
