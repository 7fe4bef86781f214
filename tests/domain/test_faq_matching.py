"""FAQ matching: normalized text, keywords, fuzzy words, the threshold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chatserver.domain.business import Faq
from chatserver.domain.faq import best_match, normalize

HOURS = Faq("f1", "b", "What are your opening hours?", "9 to 5", ("hours", "opening times"), True, 1, 1)
SHIPPING = Faq("f2", "b", "Do you ship abroad?", "Yes, worldwide", ("shipping", "deliver"), True, 2, 2)
OFF = Faq("f3", "b", "Is there a discount?", "No", ("discount",), False, 3, 3)
FAQS = [HOURS, SHIPPING, OFF]


def test_normalize_folds_case_accents_and_punctuation():
    assert normalize("  Où   est   LIVRÉ?!  ") == "ou est livre"


def test_the_question_itself_matches():
    match = best_match("what are your opening hours", FAQS, 80)
    assert match is not None and match.faq is HOURS and match.score >= 95


def test_a_keyword_as_a_whole_word_matches():
    assert best_match("Hi, when are your hours on Sunday?", FAQS, 80).faq is HOURS
    assert best_match("what are the OPENING TIMES", FAQS, 80).faq is HOURS


def test_a_misspelled_keyword_matches_fuzzily():
    match = best_match("how much is shiping to France", FAQS, 80)
    assert match is not None and match.faq is SHIPPING


def test_unrelated_text_gets_no_answer():
    assert best_match("my order arrived broken", FAQS, 80) is None
    assert best_match("hi", FAQS, 80) is None
    assert best_match("   ", FAQS, 80) is None


def test_a_disabled_faq_never_answers():
    assert best_match("is there a discount", [OFF], 0) is None
    match = best_match("is there a discount", FAQS, 0)
    assert match is not None and match.faq is not OFF


def test_the_threshold_decides():
    text = "what hours are you opening"
    strict = best_match(text, [Faq("q", "b", "What are your opening hours?", "a", (), True, 1, 1)], 99)
    lenient = best_match(text, [Faq("q", "b", "What are your opening hours?", "a", (), True, 1, 1)], 60)
    assert strict is None and lenient is not None


def test_short_words_do_not_fuzzy_match_keywords():
    faq = Faq("q", "b", "Hiring?", "We are hiring", ("hire",), True, 1, 1)
    assert best_match("his car", [faq], 80) is None


@given(st.text(max_size=300))
def test_matching_never_fails_on_any_text(text):
    match = best_match(text, FAQS, 80)
    assert match is None or match.faq.enabled
