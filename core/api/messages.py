"""Error texts in the request's language: HTTP statuses, pydantic field errors, not-found nouns.

The machine-readable parts of an error (the `error` code, the field names) stay as they are;
only the human text goes through the catalogue. A pydantic error type that is not in the
table gets a generic message in the user's language, never pydantic's English.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import has_request_context
from flask_babel import format_decimal, get_locale

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

# What an HTTP error page is called (werkzeug's names are English).
STATUS_NAMES = {
    400: _l("Bad request"),
    401: _l("Not logged in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    415: _l("Unsupported content type"),
    422: _l("Not valid"),
    429: _l("Too many requests"),
    500: _l("Server error"),
    503: _l("Unavailable"),
}
# What an HTTP error says when the code raising it gave no text of its own.
STATUS_MESSAGES = {
    400: _l("The request could not be read."),
    401: _l("Log in first."),
    403: _l("You may not do this."),
    404: _l("This page or item does not exist (or you may not see it)."),
    405: _l("This action is not possible here."),
    409: _l("This conflicts with a change made in the meantime; reload and retry."),
    413: _l("The request is too large."),
    415: _l("The request is not in a format this service reads."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests; wait a moment and retry."),
    500: _l("Something went wrong; it has been logged."),
    503: _l("The service is briefly unavailable; retry in a moment."),
}
GENERIC = _l("The request could not be handled.")

# `not_found(what)`: one whole sentence per noun, so that each translates with its own grammar.
NOT_FOUND = {
    "incident": _l("No such incident."),
    "unit": _l("No such unit."),
    "assignment": _l("No such assignment."),
    "instrument": _l("No such instrument."),
    "user": _l("No such user."),
    "role grant": _l("No such role grant."),
    "handover note": _l("No such handover note."),
    "handover packet": _l("No such handover packet."),
    "resource": _l("Not found."),
}


def status_name(status: int) -> str:
    """The translated name of an HTTP status."""
    return str(STATUS_NAMES.get(status, GENERIC))


def status_message(status: int) -> str:
    """The translated default explanation of an HTTP status."""
    return str(STATUS_MESSAGES.get(status, GENERIC))


def not_found_message(what: str) -> str:
    """The translated 'no such …' sentence for a kind of object."""
    return str(NOT_FOUND.get(what, NOT_FOUND["resource"]))


def _number(value: Any) -> str:
    # 90.0 reads as 90; other numbers in the user's notation (0,5 in Dutch).
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return format_decimal(value) if has_request_context() else str(value)


def _expected(ctx: dict[str, Any]) -> str:
    # pydantic writes the choices as "'a', 'b' or 'c'"; only the "or" is English.
    return str(ctx.get("expected", "")).replace(" or ", " " + _("or") + " ")


def _value_error(ctx: dict[str, Any]) -> str:
    # A validator's own (English) sentence: translated when the catalogue knows it, else the
    # generic message, so that no English reaches a user of another language.
    sentence = str(ctx.get("error") or "")
    translated = _(sentence) if sentence else sentence
    if not translated or (translated == sentence and _language() != "en"):
        return _("This value is not valid.")
    return translated


def _language() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None else "en"


# pydantic v2 error type → the message in the user's language (ctx: pydantic's parameters).
PYDANTIC: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda c: _("Required."),
    "extra_forbidden": lambda c: _("Unknown field."),
    "string_type": lambda c: _("Must be text."),
    "string_too_short": lambda c: _("Must be at least {n} characters.").format(n=c["min_length"]),
    "string_too_long": lambda c: _("May be at most {n} characters.").format(n=c["max_length"]),
    "string_pattern_mismatch": lambda c: _("Does not have the expected form."),
    "string_unicode": lambda c: _("Must be valid text."),
    "int_type": lambda c: _("Must be a whole number."),
    "int_parsing": lambda c: _("Must be a whole number."),
    "int_from_float": lambda c: _("Must be a whole number."),
    "float_type": lambda c: _("Must be a number."),
    "float_parsing": lambda c: _("Must be a number."),
    "decimal_parsing": lambda c: _("Must be a number."),
    "finite_number": lambda c: _("Must be a finite number."),
    "bool_type": lambda c: _("Must be true or false."),
    "bool_parsing": lambda c: _("Must be true or false."),
    "greater_than": lambda c: _("Must be greater than {n}.").format(n=_number(c["gt"])),
    "greater_than_equal": lambda c: _("Must be at least {n}.").format(n=_number(c["ge"])),
    "less_than": lambda c: _("Must be less than {n}.").format(n=_number(c["lt"])),
    "less_than_equal": lambda c: _("May be at most {n}.").format(n=_number(c["le"])),
    "multiple_of": lambda c: _("Must be a multiple of {n}.").format(n=_number(c["multiple_of"])),
    "literal_error": lambda c: _("Must be one of: {choices}.").format(choices=_expected(c)),
    "enum": lambda c: _("Must be one of: {choices}.").format(choices=_expected(c)),
    "list_type": lambda c: _("Must be a list."),
    "tuple_type": lambda c: _("Must be a list."),
    "set_type": lambda c: _("Must be a list."),
    "dict_type": lambda c: _("Must be an object."),
    "model_type": lambda c: _("Must be an object."),
    "model_attributes_type": lambda c: _("Must be an object."),
    "too_short": lambda c: _("Needs at least {n} entries.").format(n=c["min_length"]),
    "too_long": lambda c: _("May have at most {n} entries.").format(n=c["max_length"]),
    "date_type": lambda c: _("Must be a date (YYYY-MM-DD)."),
    "date_parsing": lambda c: _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": lambda c: _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": lambda c: _("Must be a date (YYYY-MM-DD)."),
    "datetime_type": lambda c: _("Must be a date and time (ISO 8601)."),
    "datetime_parsing": lambda c: _("Must be a date and time (ISO 8601)."),
    "datetime_from_date_parsing": lambda c: _("Must be a date and time (ISO 8601)."),
    "timezone_aware": lambda c: _("Must be a date and time with a time zone."),
    "time_type": lambda c: _("Must be a time (HH:MM)."),
    "time_parsing": lambda c: _("Must be a time (HH:MM)."),
    "uuid_type": lambda c: _("Must be a UUID."),
    "uuid_parsing": lambda c: _("Must be a UUID."),
    "url_type": lambda c: _("Must be a web address."),
    "url_parsing": lambda c: _("Must be a web address."),
    "url_scheme": lambda c: _("Must be a web address."),
    "json_invalid": lambda c: _("Must be valid JSON."),
    "union_tag_invalid": lambda c: _("Must be one of: {choices}.").format(
        choices=_expected({"expected": c.get("expected_tags", "")})
    ),
    "union_tag_not_found": lambda c: _("Required."),
    "none_required": lambda c: _("Must be empty."),
    "value_error": _value_error,
    "assertion_error": _value_error,
}


def field_message(error: dict[str, Any]) -> str:
    """One pydantic error (from `ValidationError.errors()`) as a message in the user's language."""
    render = PYDANTIC.get(error["type"])
    if render is None:
        return _("This value is not valid.")
    try:
        return render(error.get("ctx") or {})
    except (KeyError, ValueError):  # a ctx without the parameter this pydantic version names
        return _("This value is not valid.")
