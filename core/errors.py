"""Error handling: the JSON error shape under /api and /webhooks, friendly pages elsewhere."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.api import ApiError
from core.api.messages import status_message, status_name
from core.db import db
from core.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)


class DomainError(ValueError):
    """A refusal the user can act on: HTTP status, machine code, message and field messages.

    Every domain's errors are of this family; one handler answers them (JSON under /api, the
    error page elsewhere), after the edge has rolled the transaction back. The message and the
    field messages are lazy strings (`lazy_gettext`), written out in the request's language;
    `code` and the field names are for machines and never translated.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: Any,
        fields: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}

    def as_problem(self) -> ApiError:
        """The same refusal as an HTTP error in the API's shape."""
        return ApiError(self.status, self.code, self.message, self.fields)


CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def wants_json() -> bool:
    """API and webhook callers get JSON; browsers get pages."""
    return request.path.startswith(("/api/", "/webhooks/", "/healthz"))


def message_of(exc: HTTPException) -> str:
    """The error's text in the user's language: its own, or the status's when it has none
    (werkzeug's default descriptions are English)."""
    description = exc.description
    if not description or description == type(exc).description:
        return status_message(exc.code or 500)
    return str(description)


def fields_of(exc: HTTPException) -> dict[str, str]:
    """The field messages, written out in the user's language."""
    return {str(key): str(value) for key, value in (getattr(exc, "fields", None) or {}).items()}


@dataclass(frozen=True)
class ErrorPage:
    """What the error page shows: the status, its name and the message, all translated."""

    code: int
    name: str
    description: str


def json_error(exc: HTTPException):
    """Render any HTTP error in `{"error", "message", "fields"}` form."""
    status = exc.code or 500
    code = getattr(exc, "error_code", None) or CODES.get(status, "error")
    body = {"error": code, "message": message_of(exc), "fields": fields_of(exc)}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="nachtwacht"'
    return response


def handle_http(exc: HTTPException):
    """Answer an HTTP error in the caller's format."""
    if isinstance(exc, CSRFError):
        exc.description = _l("The form expired or the CSRF token is missing; reload and retry.")
    if wants_json():
        return json_error(exc)
    status = exc.code or 500
    page = ErrorPage(status, status_name(status), message_of(exc))
    return render_template("error.html", error=page), status


def handle_unexpected(exc: Exception):
    """Log the bug, roll back the transaction and answer a plain 500 (never a stack trace)."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return handle_http(InternalServerError(_l("Something went wrong; it has been logged.")))


def handle_domain(exc: DomainError):
    """Answer a domain refusal in the caller's format."""
    return handle_http(exc.as_problem())


def register_error_handlers(app: Flask) -> None:
    """Install the handlers."""
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(ApiError, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
