"""Phone number normalisation shared by units (plain) and case data (blind-indexed)."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "BE"


def normalise_phone(phone: str) -> str:
    """E.164 through `phonenumbers` (a national number is Belgian: 0470… becomes +32470…); a
    string it cannot parse keeps its digits and a leading +, so nothing typed is lost."""
    try:
        parsed = phonenumbers.parse(phone, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+32" + digits[1:]
    return digits
