"""Business settings: validation with a named field, defaults, business hours in a time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chatserver.protocol import ChatError, wire
from chatserver.usecases.automation import parse_settings


def ms(text: str, tz: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def test_empty_settings_mean_everything_off_with_default_texts():
    settings = parse_settings({})
    assert not settings.greeting.enabled and not settings.away.enabled and not settings.lead_capture.enabled
    assert settings.greeting.message and settings.hours is None and settings.faq_threshold is None


def test_business_hours_follow_the_time_zone():
    settings = parse_settings(
        {"businessHours": {"timezone": "Asia/Tokyo", "weekly": {"mon": [{"open": "09:00", "close": "17:30"}]}}}
    )
    assert settings.hours is not None
    assert settings.hours.is_open(ms("2026-01-05T09:00:00", "Asia/Tokyo"))  # a Monday in Tokyo
    assert settings.hours.is_open(ms("2026-01-05T17:29:00", "Asia/Tokyo"))
    assert not settings.hours.is_open(ms("2026-01-05T17:30:00", "Asia/Tokyo"))
    assert not settings.hours.is_open(ms("2026-01-06T10:00:00", "Asia/Tokyo"))  # Tuesday: closed
    assert not settings.hours.is_open(ms("2026-01-05T10:00:00", "America/New_York"))  # Tuesday 0:00 in Tokyo


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"greeting": {"enabled": "yes"}}, "greeting.enabled"),
        ({"away": {"message": ""}}, "away.message"),
        ({"businessHours": {"timezone": "Mars/Olympus", "weekly": {}}}, "businessHours.timezone"),
        ({"businessHours": {"timezone": "UTC", "weekly": {"mon": [{"open": "25:00", "close": "26:00"}]}}}, None),
        ({"businessHours": {"timezone": "UTC", "weekly": {"mon": [{"open": "18:00", "close": "09:00"}]}}}, None),
        ({"faqThreshold": 120}, "faqThreshold"),
        ({"surprise": 1}, "body"),
        ([], "body"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(body, field):
    with pytest.raises(ChatError) as info:
        parse_settings(body)
    assert info.value.code.value == "invalid_payload"
    if field is not None:
        assert info.value.field == field


def test_settings_round_trip_through_the_wire_form():
    body = {
        "greeting": {"enabled": True, "message": "Hello!"},
        "businessHours": {"timezone": "UTC", "weekly": {"fri": [{"open": "08:00", "close": "24:00"}]}},
        "faqThreshold": 70,
    }
    document = wire.business_settings(parse_settings(body))
    assert wire.business_settings(parse_settings(document)) == document
    assert document["businessHours"]["weekly"]["fri"] == [{"open": "08:00", "close": "24:00"}]
    assert document["greeting"] == {"enabled": True, "message": "Hello!"}
