"""What a visitor's page report becomes before it is stored (issue 17): only absolute http(s)
URLs, query and fragment dropped unless kept, titles cleaned."""

from __future__ import annotations

import pytest

from chatserver.domain.pages import MAX_TITLE_LENGTH, page_title, page_url


@pytest.mark.parametrize(
    ("raw", "stripped"),
    [
        ("https://shop.example/pricing?plan=pro#faq", "https://shop.example/pricing"),
        ("http://shop.example:8080/a/b?x=1", "http://shop.example:8080/a/b"),
        ("HTTPS://Shop.Example/Path#top", "https://Shop.Example/Path"),  # the scheme in lower case
        ("https://user@shop.example/", "https://user@shop.example/"),
        ("https://shop.example", "https://shop.example"),
    ],
)
def test_query_and_fragment_are_dropped_unless_kept(raw, stripped):
    assert page_url(raw, keep_query=False) == stripped
    assert page_url(raw, keep_query=True) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "/pricing",
        "//shop.example/pricing",
        "shop.example/pricing",
        "javascript:alert(1)",
        "JAVASCRIPT://shop.example/%0aalert(1)",
        "ftp://shop.example/f",
        "data:text/html,hi",
        "mailto:a@shop.example",
        "https:///no-host",
        "https://shop.example/a b",
        " https://shop.example/",
        "https://shop.example/\nx",
        "https://shop.example:notaport/",
        "https://shop.example:99999/",
        "https://shop.example/" + "a" * 2048,
    ],
)
def test_anything_but_an_absolute_http_url_is_refused(raw):
    assert page_url(raw, keep_query=True) is None
    assert page_url(raw, keep_query=False) is None


def test_titles_lose_control_characters_and_extra_spaces():
    assert page_title("  Pricing\x07 \n\t plans\x9f ") == "Pricing plans"
    assert page_title("Café — ünïcode 🚀") == "Café — ünïcode 🚀"
    assert page_title(" \t\n ") is None
    assert page_title("") is None
    assert page_title(None) is None
    assert len(page_title("x" * 500) or "") == MAX_TITLE_LENGTH
