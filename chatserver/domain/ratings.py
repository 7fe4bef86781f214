"""Satisfaction ratings (CSAT, issue 17): after staff close a conversation its visitor may rate
it 1 to 5, with an optional comment. Pure rules and values, no I/O.

A rating belongs to one closure: the room keeps the latest rating with the ``closed_at`` it was
given for (``Room.rated_closure_at``), so a rating again in the same closure replaces it, and
after a reopen (``closed_at`` cleared) and a new close the room shows no rating until the
visitor rates anew. Every closure's rating is also kept on its own (the store's
``room_ratings``), which is what the analytics count.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatserver.domain.models import Room, RoomStatus

MIN_SCORE = 1
MAX_SCORE = 5
MAX_COMMENT_CHARS = 1000  # the payload schema's limit too
SCORES = tuple(range(MIN_SCORE, MAX_SCORE + 1))


@dataclass(frozen=True, slots=True)
class Rating:
    """A visitor's rating of the closure of ``closed_at``."""

    score: int
    comment: str | None
    rated_at: int
    closed_at: int


@dataclass(frozen=True, slots=True)
class ClosureRating:
    """A closure's rating as kept apart from the room (every closure's; the export lists them)."""

    room_id: str
    rating: Rating


def current_rating(room: Room) -> Rating | None:
    """The rating of the room's current closure; ``None`` when open, or closed and not rated since."""
    if room.status != RoomStatus.CLOSED or room.closed_at is None or room.rated_closure_at != room.closed_at:
        return None
    if room.rating_score is None or room.rated_at is None:
        return None
    return Rating(room.rating_score, room.rating_comment, room.rated_at, room.closed_at)


def clean_comment(comment: str | None) -> str | None:
    """Surrounding blanks dropped; an empty comment is no comment."""
    if comment is None:
        return None
    stripped = comment.strip()
    return stripped or None


@dataclass(frozen=True, slots=True)
class Csat:
    """How many ratings gave each score (``distribution[0]`` is score 1)."""

    distribution: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    @property
    def responses(self) -> int:
        return sum(self.distribution)

    @property
    def average(self) -> float | None:
        """The mean score to two decimals; ``None`` without ratings."""
        if not self.responses:
            return None
        total = sum(score * count for score, count in zip(SCORES, self.distribution, strict=True))
        return round(total / self.responses, 2)

    @classmethod
    def of(cls, counts: dict[int, int]) -> Csat:
        """From ``{score: count}`` (scores outside 1..5 are ignored)."""
        a, b, c, d, e = (int(counts.get(score, 0)) for score in SCORES)
        return cls((a, b, c, d, e))

    def plus(self, other: Csat) -> Csat:
        a, b, c, d, e = (x + y for x, y in zip(self.distribution, other.distribution, strict=True))
        return Csat((a, b, c, d, e))
