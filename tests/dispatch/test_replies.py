"""Officers' SMS replies parse to a code and a reference, or to None for a dispatcher to read."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dispatch.replies import (
    KEYWORDS,
    MAX_SMS_CHARS,
    REPLY_STATUS,
    Reply,
    parse_reply,
    reply_status,
)
from dispatch.texts import GSM7, compose_confirmation_sms, compose_refusal_sms

VARIANTS = {
    "ack": ["OK", "ok", "Ok.", "ACK", "ack!", " o.k. "],
    "en_route": ["ONDERWEG", "onderweg", "Onderweg!", "ENROUTE", "en route", "En-Route"],
    "on_scene": ["TERPLAATSE", "ter plaatse", "Tèr  Plaatse.", "ONSCENE", "on scene", "On-Scene"],
    "clear": ["VRIJ", "vrij", "Vrĳ", "CLEAR", "clear."],
    "help": ["HELP", "help?", "?", " ?? "],
}
CASES = [(text, code) for code, texts in VARIANTS.items() for text in texts]
SEPARATORS = st.text(alphabet=" \t\n.,;:!-_/()'\"", max_size=4)
REFERENCE_FORMS = [
    "NW-2026-000123",
    "nw-2026-000123",
    "nw2026000123",
    "NW 2026 000123",
    "nw-2026-123",
]


@pytest.mark.parametrize(("text", "code"), CASES)
def test_keywords_parse_to_their_code(text, code):
    assert parse_reply(text) == Reply(code=code, reference=None, raw=text)


@pytest.mark.parametrize("form", REFERENCE_FORMS)
def test_reference_anywhere_is_normalised(form):
    assert parse_reply(f"OK {form}") == Reply("ack", "NW-2026-000123", f"OK {form}")
    assert parse_reply(f"{form}: ter plaatse").code == "on_scene"
    assert parse_reply(f"{form} vrij").reference == "NW-2026-000123"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "niet ok",
        "nog niet ter plaatse",
        "vrij snel ter plaatse",
        "OK onderweg",
        "wie is dit?",
        "bel me",
        "NW-2026-000123",
        "okay",
        "vrijdag",
        "helpen",
    ],
)
def test_anything_but_one_keyword_is_left_to_the_dispatcher(text):
    reply = parse_reply(text)
    assert reply.code is None
    assert reply.raw == text


def test_unparseable_reply_keeps_its_reference():
    assert parse_reply("kind is bij de buren, NW-2026-000042").reference == "NW-2026-000042"


def test_malformed_references_are_not_read():
    assert parse_reply("OK NW-2026-0001234").reference is None
    assert parse_reply("OK XNW-2026-000123").reference is None
    assert parse_reply("OK NW-26-000123").reference is None


def test_codes_map_to_unit_statuses():
    assert REPLY_STATUS == {
        "ack": "acknowledged",
        "en_route": "en_route",
        "on_scene": "on_scene",
        "clear": "available",
    }
    assert reply_status("clear") == "available"
    assert reply_status("help") is None
    assert reply_status(None) is None


def _scramble_case(text: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips, strict=False))


@given(
    case=st.sampled_from(CASES),
    flips=st.lists(st.booleans(), min_size=12, max_size=12),
    before=SEPARATORS,
    after=SEPARATORS,
)
def test_case_spacing_and_punctuation_do_not_change_the_code(case, flips, before, after):
    text, code = case
    assert parse_reply(before + _scramble_case(text, flips) + after).code == code


@given(
    keyword=st.sampled_from(sorted(KEYWORDS)),
    year=st.integers(2000, 2099),
    number=st.integers(1, 999_999),
    dash=st.sampled_from(["-", "", " ", "."]),
    first=st.booleans(),
    lower=st.booleans(),
)
def test_reference_in_any_form_and_place(keyword, year, number, dash, first, lower):
    ref = f"NW{dash}{year}{dash}{number:06d}"
    ref = ref.lower() if lower else ref
    text = f"{ref} {keyword}" if first else f"{keyword}, {ref}"
    assert parse_reply(text) == Reply(KEYWORDS[keyword], f"NW-{year}-{number:06d}", text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Nd", "No"]), max_size=60))
def test_text_without_any_keyword_has_no_code(text):
    folded = "".join(ch for ch in _fold(text) if ch.isalnum())
    assume("?" not in _fold(text))
    assume(not any(keyword in folded for keyword in KEYWORDS))
    assert parse_reply(text).code is None


@given(st.text(max_size=200))
def test_any_text_parses_without_error_and_is_kept(text):
    reply = parse_reply(text)
    assert reply.raw == text
    assert reply.code in {None, *KEYWORDS.values()}


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("ack", "NT-21: ontvangst bevestigd."),
        ("en_route", "NT-21: onderweg genoteerd."),
        ("on_scene", "NT-21: ter plaatse genoteerd."),
        ("clear", "NT-21: vrij genoteerd."),
    ],
)
def test_officers_get_their_confirmation_in_dutch(code, text):
    assert compose_confirmation_sms("NT-21", code) == text
    assert set(text) <= GSM7


def test_a_refused_status_change_is_told_in_dutch_within_one_sms():
    text = compose_refusal_sms("NT-21", "off_duty", "on_scene")
    assert compose_refusal_sms("NT-21", "on_scene", "assigned", lang="fr") == (
        "NT-21: impossible de passer de sur place a assignee. Repondez HELP pour les codes."
    )
    assert text == (
        "NT-21: van buiten dienst kan niet naar ter plaatse. Antwoord HELP voor de codes."
    )
    assert set(text) <= GSM7 and len(text) <= MAX_SMS_CHARS
    assert set(compose_refusal_sms("NT-" + "9" * 400, "a", "b")) <= GSM7
    assert len(compose_refusal_sms("NT-" + "9" * 400, "a", "b")) <= MAX_SMS_CHARS
