"""User-agent minimisation (issue 16): the label kept instead of the header, and its cost — this
runs on every guest registration and every room a guest opens."""

from __future__ import annotations

import time

import pytest

from chatserver.usecases.useragents import label, stored_user_agent

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (FIREFOX, "Firefox 131 on Windows"),
        (IPHONE, "Mobile Safari 17 on iOS"),
        (ANDROID, "Chrome Mobile 129 on Android"),
        ("curl/8.5.0", "curl 8"),
        ("chatserver-client/1.0", "Other"),
        ("   ", ""),
        ("", ""),
    ],
)
def test_the_label_names_browser_major_version_and_system_only(header, expected):
    assert label(header) == expected


def test_the_full_header_is_kept_only_when_asked_and_then_bounded():
    assert stored_user_agent(FIREFOX, full=False) == "Firefox 131 on Windows"
    assert stored_user_agent(FIREFOX, full=True) == FIREFOX
    assert stored_user_agent("x" * 5000, full=True) == "x" * 512
    assert len(stored_user_agent("Mozilla/5.0 " + "y" * 5000, full=False)) <= 100


def test_a_repeated_header_costs_well_under_ten_microseconds():
    stored_user_agent(IPHONE, full=False)  # parsed once, then cached
    rounds = 20_000
    start = time.perf_counter()
    for _ in range(rounds):
        stored_user_agent(IPHONE, full=False)
    per_call_us = (time.perf_counter() - start) / rounds * 1e6
    assert per_call_us < 10, f"{per_call_us:.2f} µs per cached label"
