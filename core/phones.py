"""Phone number normalisation shared by units (plain) and case data (blind-indexed)."""

from __future__ import annotations

import re


def normalise_phone(phone: str) -> str:
    """E.164-ish: keep digits and a leading +; Belgian 0… numbers become +32…."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+32" + digits[1:]
    return digits
