"""The address line a unit's SMS carries: street, number, box, postcode — nothing typed around."""

from __future__ import annotations

import pytest

from triage.addresses import house_number, sms_line
from triage.geocoding import normalise_address


@pytest.mark.parametrize(
    ("typed", "street", "number", "box"),
    [
        ("Kiel 5 bus 3 (bellen bij Vandenbroucke Marieke), 2020 Antwerpen", "Kiel", "5", "3"),
        ("Lange Beeldekensstraat 20A/3", "Lange Beeldekensstraat", "20A", "3"),
        ("Turnhoutsebaan 300 bte 12, 2100 Deurne", "Turnhoutsebaan", "300", "12"),
        ("De Keyserlei 5-7 b2", "De Keyserlei", "5-7", "2"),
        ("Kiel 5, bus 2", "Kiel", "5", "2"),
        ("Carnotstr. 12, 2060 Antwerpen", "Carnotstraat", "12", None),
        # The number after the street, not the floor or a number typed before it.
        ("2e verdieping, Carnotstraat 12, 2060", "Carnotstraat", "12", None),
        ("Vandenbroucke 3, Carnotstraat", "Carnotstraat", None, None),
        # Street not found in the text: the first number that is no floor and no postcode.
        ("2060 Carnot straat 12", "Carnotstraat", "12", None),
        ("3de verd. Kiel 7", None, "7", None),
        ("Kiel", None, None, None),
    ],
)
def test_the_house_number_is_the_one_after_the_street(typed, street, number, box):
    found = house_number(typed, street, normalise_address)
    assert (found.number if found else None, found.box if found else None) == (number, box)


def test_the_sms_line_holds_only_the_structured_parts():
    assert sms_line("Kiel", "5", "3", "2020", "Antwerpen") == "Kiel 5 bus 3, 2020"
    assert sms_line("Kiel", None, "3", "2020", None) == "Kiel, 2020"
    assert sms_line(None, "5", None, "2060", "Antwerpen") == "2060 Antwerpen"
    assert sms_line(None, None, None, None, None) == "locatie op console"
