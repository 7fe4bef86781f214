"""The rating rules (issue 17): which closure a room's rating belongs to, and the CSAT sums."""

from __future__ import annotations

from dataclasses import replace

from chatserver.domain.models import Room, RoomStatus
from chatserver.domain.ratings import Csat, Rating, clean_comment, current_rating

ROOM = Room("r1", "b1", "Chat", "guest", None, "Visitor", True, "g1", None, None, None, (), True, None, None, 1, 0)
RATED = replace(
    ROOM,
    status=RoomStatus.CLOSED,
    closed_at=100,
    rating_score=3,
    rating_comment="ok",
    rated_at=150,
    rated_closure_at=100,
)


def test_the_rating_of_the_current_closure_is_the_rooms():
    assert current_rating(RATED) == Rating(3, "ok", 150, 100)


def test_an_open_room_or_a_later_closure_has_no_rating():
    assert current_rating(ROOM) is None
    assert current_rating(replace(RATED, status=RoomStatus.OPEN, closed_at=None)) is None
    assert current_rating(replace(RATED, closed_at=200)) is None


def test_a_blank_comment_is_no_comment():
    assert clean_comment(None) is None and clean_comment(" \n ") is None and clean_comment(" hi ") == "hi"


def test_csat_sums_and_averages_to_two_decimals():
    assert Csat().responses == 0 and Csat().average is None
    counts = Csat.of({1: 1, 5: 2, 9: 4})
    assert counts.distribution == (1, 0, 0, 0, 2) and counts.responses == 3 and counts.average == 3.67
    assert counts.plus(Csat.of({4: 1})).average == 3.75
