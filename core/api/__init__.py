"""Validated JSON endpoints whose schemas also produce the OpenAPI document.

`@endpoint(...)` declares a route's body/query/response schemas and its access policy; the
same pydantic models validate requests and are rendered into `/api/v1/openapi.json`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_babel.speaklater import LazyString
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from core.api.messages import field_message, not_found_message
from core.db import in_transaction
from core.i18n import lazy_gettext as _l
from core.policies import Policy, enforce

api = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(HTTPException):
    """An error answered in the API's JSON shape; message and field messages may be lazy
    (translated when the answer is written, in the request's language)."""

    def __init__(self, status: int, code: str, message: Any, fields: dict | None = None):
        super().__init__(description=message)
        self.code = status
        self.error_code = code
        self.fields = fields or {}


def problem(status: int, code: str, message: Any, fields: dict | None = None) -> ApiError:
    """Build an ApiError for `raise problem(...)`."""
    return ApiError(status, code, message, fields)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Turn pydantic errors into `{"dotted.field": "message"}`, messages in the user's language."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        if loc not in fields:
            fields[loc] = field_message(err)
    return fields


@dataclass
class EndpointSpec:
    """What the OpenAPI document says about one endpoint."""

    summary: str
    policy: Policy
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tags: list[str] = field(default_factory=list)
    # A body that is not JSON (media type → JSON schema of its text), read by the view itself;
    # a response that is not JSON (its media type, described as a string).
    raw_body: dict[str, dict[str, Any]] | None = None
    produces: str | None = None


MAX_JSON_DEPTH = 32


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text, strings skipped: one linear pass
    (a regular expression over unclosed strings can take minutes on a crafted body)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in "]}":
            depth -= 1
    return deepest


class DepthLimitedJSON(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested deeper than MAX_JSON_DEPTH before parsing them (a
    few kilobytes of `[[[[…` would otherwise end the request in a RecursionError: a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if isinstance(s, bytes | bytearray):
            try:
                s = bytes(s).decode(json.detect_encoding(bytes(s)))  # as json.loads would read it
            except (UnicodeDecodeError, LookupError):
                raise ValueError("the body is not text in a JSON encoding") from None
        if json_depth(s) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _json_body(schema: type[BaseModel]) -> BaseModel:
    payload = json_object()
    try:
        return schema.model_validate(payload)
    except ValidationError as exc:
        raise problem(
            422, "validation_error", _l("Some fields are not valid."), field_errors(exc)
        ) from None


def json_object() -> dict[str, Any]:
    """The request's body as a JSON object: 400 if it is not JSON, 422 if not an object."""
    if not request.is_json:
        raise problem(
            400, "invalid_json", _l("The body must be JSON (Content-Type: application/json).")
        )
    payload = request.get_json(silent=True)
    if payload is None:
        raise problem(
            400,
            "invalid_json",
            _l("The body is not valid JSON (or nests deeper than %(n)s levels).", n=MAX_JSON_DEPTH),
        )
    if not isinstance(payload, dict):
        raise problem(
            422,
            "validation_error",
            _l("The body must be a JSON object."),
            {"body": _l("Must be an object.")},
        )
    return payload


def _query(schema: type[BaseModel]) -> BaseModel:
    try:
        return schema.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise problem(
            422, "validation_error", _l("Some query parameters are not valid."), field_errors(exc)
        ) from None


def _respond(view: Callable, status: int, *args: Any, **kwargs: Any) -> Any:
    result = view(*args, **kwargs)
    if isinstance(result, BaseModel):
        resp = jsonify(result.model_dump(mode="json", by_alias=True))
        resp.status_code = status
        return resp
    return result


def endpoint(
    summary: str,
    policy: Policy,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    raw_body: dict[str, dict[str, Any]] | None = None,
    produces: str | None = None,
) -> Callable:
    """Declare, protect and validate an API view; the view receives `body=`/`query=`.

    `raw_body` documents a body the view reads itself (media type → schema), `produces` a
    response that is not JSON. The edge: the view's work commits once it returns and rolls back
    if it raises.
    """
    spec = EndpointSpec(
        summary, policy, body, query, response, status, errors, list(tags), raw_body, produces
    )

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            enforce(policy)
            if body is not None:
                kwargs["body"] = _json_body(body)
            if query is not None:
                kwargs["query"] = _query(query)
            return in_transaction(_respond, view, status, *args, **kwargs)

        wrapper.access_policy = policy  # type: ignore[attr-defined]
        wrapper.api_spec = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


def paginate(page: int, per_page: int, total: int) -> dict[str, Any]:
    """Pagination block for list responses."""
    return {"page": page, "per_page": per_page, "total": total}


def not_found(what: str = "resource") -> ApiError:
    """404 in the API's shape, saying in the user's language what was not found."""
    return problem(404, "not_found", LazyString(not_found_message, what))


__all__ = ["ApiError", "abort", "api", "endpoint", "not_found", "paginate", "problem"]
