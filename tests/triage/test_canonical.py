"""The canonical address key: one household however its address is typed, two when they differ."""

from __future__ import annotations

import pytest

from triage.canonical import build, canonical_key, street_key
from triage.geocoding import OfflineGeocoder


def key(typed: str) -> str | None:
    """The key intake stores with the offline geocoder's street and postcode."""
    found = OfflineGeocoder().geocode(typed)
    return canonical_key(typed, street=found.street, postcode=found.postcode)


@pytest.mark.parametrize(
    ("typed", "street"),
    [
        ("Carnot str", "carnotstraat"),
        ("Carnotstr.", "carnotstraat"),
        ("CARNOTSTRAAT", "carnotstraat"),
        ("Carnot straat", "carnotstraat"),
        ("Bredabaan", "bredabaan"),
        ("Bredabn", "bredabaan"),
        ("Bredase stwg", "bredasesteenweg"),
        ("Bredasestw.", "bredasesteenweg"),
        ("Amerikalei", "amerikalei"),
        ("Mechelse ln", "mechelselaan"),
        ("St.-Jansplein", "sintjansplein"),
        ("Sint Janspl.", "sintjansplein"),
        ("Sint-Jans plein", "sintjansplein"),
        ("Dr. Van de Perrestraat", "doktervandeperrestraat"),
        ("Prof. Van Overstraetenplein", "professorvanoverstraetenplein"),
        ("Gen. Lemanstraat", "generaallemanstraat"),
        ("O.L.Vrouwstraat", "onzelievevrouwstraat"),
        ("Kon. Astridplein", "koningastridplein"),
        ("Frère-Orbanlei", "frereorbanlei"),
        ("Ledeganckkaai", "ledeganckkaai"),
    ],
)
def test_street_spellings_meet_in_one_form(typed, street):
    assert street_key(typed) == street


def test_the_three_spellings_of_one_home_give_one_key():
    spellings = [
        "Lange Beeldekensstraat 20",
        "Lange Beeldekensstraat 20, 2060 Antwerpen",
        "Lange Beeldekensstraat. 20 Antwerpen",
        "lange beeldekens straat 20 2060",
        "Lange Beeldekenstraat 20",  # a typo the geocoder's fuzzy match recognises
    ]
    assert {key(s) for s in spellings} == {"langebeeldekensstraat|20||2060"}
    # Without the geocoder, the shipped street list still fills the postcode.
    assert {canonical_key(s) for s in spellings[:4]} == {"langebeeldekensstraat|20||2060"}


def test_an_abbreviated_street_meets_its_full_name():
    assert key("Carnot str 45 Antwerpen") == key("Carnotstraat 45, 2060 Antwerpen")
    assert canonical_key("Carnot str 45 Antwerpen") == "carnotstraat|45||2060"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Carnotstraat 45, 2060 Antwerpen", "Carnotstraat 47, 2060 Antwerpen"),
        ("Carnotstraat 45, 2060 Antwerpen", "Carnotstraat 45 bus 3, 2060 Antwerpen"),
        ("Carnotstraat 45 bus 2", "Carnotstraat 45 bus 3"),
        ("Carnotstraat 45", "Carnotstraat 45A"),
        # One street name in two postcodes: apart once the postcode is known.
        ("Turnhoutsebaan 10, 2100 Deurne", "Turnhoutsebaan 10, 2140 Borgerhout"),
        # A typed postcode that contradicts the street list is kept, not corrected.
        ("Carnotstraat 45, 2000 Antwerpen", "Carnotstraat 45, 2060 Antwerpen"),
    ],
)
def test_another_door_is_another_key(one, other):
    assert key(one) != key(other)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Carnotstraat 45 bus 03", "carnotstraat|45|3|2060"),
        ("Carnotstraat 45/3", "carnotstraat|45|3|2060"),
        ("Carnotstraat 45 bte 3", "carnotstraat|45|3|2060"),
        ("carnotstraat 45a", "carnotstraat|45A||2060"),
        ("Turnhoutsebaan 10", "turnhoutsebaan|10||"),  # two postcodes, none said: left open
        ("Turnhoutsebaan 10 Deurne", "turnhoutsebaan|10||2100"),  # the district picks one
        ("Onbekendestraat 3 Berchem", "onbekendestraat|3||2600"),  # a one-postcode district
        ("Onbekendestraat 3", "onbekendestraat|3||"),
        ("Antwerpen, Onbekendestraat 3", "onbekendestraat|3||"),
        ("Carnotstraat, 2060 Antwerpen", "carnotstraat|||2060"),  # the postcode is no number
        ("2060 Antwerpen", None),  # a postcode alone is thousands of households
        ("Antwerpen", None),
        ("", None),
    ],
)
def test_key_parts_from_the_typed_text(typed, expected):
    assert canonical_key(typed) == expected


def test_structured_parts_win_over_the_text():
    found = build("bij de buren, Kiel 5", street="Kiel", number="7", box="2", postcode="2020")
    assert found is not None and found.text() == "kiel|7|2|2020"
    # A box without a house number means nothing on its own.
    assert canonical_key("Kiel", street="Kiel", box="2", postcode="2020") == "kiel|||2020"
