"""The address line a unit's SMS carries: street, number, box, postcode — nothing typed around."""

from __future__ import annotations

import pytest

from triage.addresses import house_number, sms_line, typed_street


@pytest.mark.parametrize(
    ("typed", "postcode", "street", "number", "box"),
    [
        (
            "Kiel 5 bus 3 (bellen bij Vandenbroucke Marieke), 2020 Antwerpen",
            "2020",
            "Kiel",
            "5",
            "3",
        ),
        ("Lange Beeldekensstraat 20A/3", None, "Lange Beeldekensstraat", "20A", "3"),
        ("Turnhoutsebaan 300 bte 12, 2100 Deurne", "2100", "Turnhoutsebaan", "300", "12"),
        ("De Keyserlei 5-7 b2", None, "De Keyserlei", "5-7", "2"),
        ("Kiel 5, bus 2", None, "Kiel", "5", "2"),
        ("2060 Carnotstraat 12", "2060", "Carnotstraat", "12", None),
        ("Kiel 5 bellen bij Jan", None, "Kiel", "5", None),
        # A name where the street goes, or instructions first: no street from the text.
        ("bij Marieke Vandenbroucke 12, 2060 Antwerpen", "2060", None, "12", None),
        ("p/a Vandenbroucke, Kiel 5", None, None, "5", None),
        ("Kiel", None, None, None, None),
    ],
)
def test_typed_addresses_give_street_number_and_box(typed, postcode, street, number, box):
    found = house_number(typed, postcode)
    assert (found.number if found else None, found.box if found else None) == (number, box)
    assert typed_street(typed, postcode) == street


def test_the_sms_line_holds_only_the_structured_parts():
    assert sms_line("Kiel", "5", "3", "2020", "Antwerpen") == "Kiel 5 bus 3, 2020"
    assert sms_line("Kiel", None, "3", "2020", None) == "Kiel, 2020"
    assert sms_line(None, "5", None, "2060", "Antwerpen") == "2060 Antwerpen"
    assert sms_line(None, None, None, None, None) == "locatie op console"
