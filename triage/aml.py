"""Advanced Mobile Location (ETSI TS 103 625): reading a handset's location message.

Pure functions, no Flask and no database. A phone that dials 112 sends its position in one of
three forms, all read here into one `AmlFix`: the HTTPS form body (`v=1&device_number=…`), the
SMS text of version 1 (`A"ML=1;lt=…;lg=…;rd=…;top=…`) and of version 2 (`A"ML=2;lo=lat,lon,
radius;et=…`), and the binary data SMS (the same text packed in GSM 7-bit septets, given as
hex). `verify_hmac` checks the HTTPS form's HMAC-SHA1 (hex, over the body before `&hmac=`).

What is kept is only what locating a call needs: number, position, radius, the time of the fix,
confidence and method. IMEI and IMSI are read (a malformed one is still an error) but dropped,
so they cannot be stored by accident. A malformed message raises `AmlError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import re
from collections import Counter
from dataclasses import dataclass
from hashlib import sha1
from urllib.parse import parse_qsl

SMS_PREFIX = 'A"ML='
HMAC_VALUE = re.compile(r"[0-9A-Fa-f]{40}")  # HMAC-SHA1 in hex, and nothing after it
EPOCH_DIGITS = re.compile(r"[0-9]{1,15}")  # up to the year 33658 in milliseconds
# The binary data SMS packs these GSM 7-bit characters; all of AML's text is basic ASCII.
_SEPTET_MASK = 0x7F


class AmlError(ValueError):
    """A message that is not a readable AML message; `field` names what is wrong."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class AmlFix:
    """A handset's position as AML reports it."""

    latitude: float
    longitude: float
    radius_m: float | None
    located_at: dt.datetime | None
    confidence: int | None  # per cent
    method: str | None  # gps, wifi, cell, … (lower case)
    number: str | None  # the caller's number, E.164 as sent


def parse(message: str | bytes) -> AmlFix:
    """Read any AML form: HTTPS body, SMS text v1/v2, or the data SMS as hex."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    text = text.strip()
    if text.startswith(SMS_PREFIX):
        return parse_sms(text)
    if re.fullmatch(r"[0-9A-Fa-f]+", text) and len(text) % 2 == 0:
        return parse_sms(unpack_septets(bytes.fromhex(text)))
    return parse_form(text)


def parse_form(body: str) -> AmlFix:
    """The HTTPS form body (`application/x-www-form-urlencoded`).

    Only what the HMAC covers is read: the fields before `&hmac=`, which must be the last
    field. A field given twice is refused (with duplicates, which one a reader takes differs).
    """
    head, sep, tail = body.partition("&hmac=")
    if sep and not HMAC_VALUE.fullmatch(tail):
        raise AmlError("hmac", "hmac must be the last field: 40 hex digits")
    pairs = parse_qsl(head, keep_blank_values=True)
    fields = dict(pairs)
    if len(fields) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        raise AmlError(next(k for k, n in counts.items() if n > 1), "a field given twice")
    if fields.get("v") != "1":
        raise AmlError("v", "only version 1 of the HTTPS form is known")
    return AmlFix(
        latitude=_latitude(fields.get("location_latitude"), "location_latitude"),
        longitude=_longitude(fields.get("location_longitude"), "location_longitude"),
        radius_m=_radius(fields.get("location_accuracy"), "location_accuracy"),
        located_at=_epoch(fields.get("location_time"), "location_time", millis=True),
        confidence=_percent(fields.get("location_certainty"), "location_certainty"),
        method=_method(fields.get("location_source")),
        number=_number(fields.get("device_number"), "device_number"),
    )


def parse_sms(text: str) -> AmlFix:
    """The SMS text, version 1 or 2."""
    pairs = _sms_pairs(text)
    version = pairs.pop('A"ML', None)
    if version == "1":
        return _sms_v1(pairs)
    if version == "2":
        return _sms_v2(pairs)
    raise AmlError('A"ML', "version 1 or 2 expected")


def _sms_pairs(text: str) -> dict[str, str]:
    pairs = {}
    for part in text.strip().rstrip(";").split(";"):
        key, sep, value = part.partition("=")
        if not sep:
            raise AmlError(key or "message", "key=value expected")
        pairs[key.strip()] = value.strip()
    return pairs


def _sms_v1(pairs: dict[str, str]) -> AmlFix:
    top = pairs.get("top")
    return AmlFix(
        latitude=_latitude(pairs.get("lt"), "lt"),
        longitude=_longitude(pairs.get("lg"), "lg"),
        radius_m=_radius(pairs.get("rd"), "rd"),
        located_at=_compact_time(top, "top") if top else None,
        confidence=_percent(pairs.get("lc"), "lc"),
        method=_method(pairs.get("pm")),
        number=None,
    )


def _sms_v2(pairs: dict[str, str]) -> AmlFix:
    parts = (pairs.get("lo") or "").split(",")
    if len(parts) < 2:
        raise AmlError("lo", "latitude,longitude[,radius] expected")
    return AmlFix(
        latitude=_latitude(parts[0], "lo"),
        longitude=_longitude(parts[1], "lo"),
        radius_m=_radius(parts[2] if len(parts) > 2 else None, "lo"),
        located_at=_epoch(pairs.get("et"), "et", millis=False),
        confidence=_percent(pairs.get("lc"), "lc"),
        method=_method(pairs.get("ls")),
        number=_number(pairs.get("en"), "en"),
    )


def unpack_septets(data: bytes) -> str:
    """GSM 7-bit packed septets to text (the data SMS carries the AML text this way)."""
    chars, carry, bits = [], 0, 0
    for byte in data:
        carry |= byte << bits
        bits += 8
        while bits >= 7:
            chars.append(chr(carry & _SEPTET_MASK))
            carry >>= 7
            bits -= 7
    text = "".join(chars)
    return text.rstrip("\x00").rstrip("\r")


def verify_hmac(body: str, key: str) -> bool:
    """Whether the HTTPS form's `hmac` (HMAC-SHA1 hex over the body before `&hmac=`) holds."""
    head, sep, tail = body.partition("&hmac=")
    if not sep or not key or not HMAC_VALUE.fullmatch(tail):
        return False  # the HMAC is the last field: nothing unsigned may follow it
    given = tail.lower()
    made = hmac.new(key.encode(), head.encode(), sha1).hexdigest()
    return hmac.compare_digest(made, given)


def _number_value(value: str | None, field: str) -> float:
    if value is None or value == "":
        raise AmlError(field, "missing")
    try:
        number = float(value)
    except ValueError:
        raise AmlError(field, "not a number") from None
    if not math.isfinite(number):
        raise AmlError(field, "not a number")
    return number


def _latitude(value: str | None, field: str) -> float:
    number = _number_value(value, field)
    if not -90 <= number <= 90:
        raise AmlError(field, "latitude out of range")
    return number


def _longitude(value: str | None, field: str) -> float:
    number = _number_value(value, field)
    if not -180 <= number <= 180:
        raise AmlError(field, "longitude out of range")
    return number


def _radius(value: str | None, field: str) -> float | None:
    if value is None or value == "":
        return None
    number = _number_value(value, field)
    if number <= 0:
        raise AmlError(field, "the radius must be positive")
    return number


def _percent(value: str | None, field: str) -> int | None:
    if value is None or value == "":
        return None
    number = _number_value(value, field)
    if not 0 <= number <= 100:
        raise AmlError(field, "a percentage is 0 to 100")
    return int(number)


def _epoch(value: str | None, field: str, *, millis: bool) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not EPOCH_DIGITS.fullmatch(value):  # ASCII digits only ("²".isdigit() is True)
        raise AmlError(field, "seconds since 1970 expected")
    try:
        seconds = int(value) / 1000 if millis else int(value)
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise AmlError(field, "time out of range") from None


def _compact_time(value: str, field: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        raise AmlError(field, "YYYYMMDDhhmmss expected") from None


def _method(value: str | None) -> str | None:
    return value.strip().lower() or None if value else None


def _number(value: str | None, field: str) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"\+?[0-9]{3,20}", value.strip()):
        raise AmlError(field, "a phone number expected")
    return value.strip()
