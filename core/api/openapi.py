"""Build the OpenAPI 3.1 document from the schemas the endpoints validate with."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.api import EndpointSpec, api, endpoint
from core.policies import PUBLIC

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message", "fields"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
REF = "#/components/schemas/{model}"


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
            if conv == "int"
            else {"type": "string", "maxLength": 64}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Resolve local `#/$defs/...` references (query parameters are described inline)."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.split("/")[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    return [
        {
            "name": name,
            "in": "query",
            "required": name in schema.get("required", []),
            "schema": _inline(prop, defs),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _error_responses(spec: EndpointSpec) -> dict[str, Any]:
    statuses = set(spec.errors)
    if not spec.policy.public:
        statuses |= {401, 403}
    if spec.body is not None or spec.raw_body is not None:
        statuses |= {400, 422}
    if spec.query is not None:
        statuses |= {422}
    ref = {"$ref": "#/components/schemas/Error"}
    return {
        str(s): {"description": "Error", "content": {"application/json": {"schema": ref}}}
        for s in sorted(statuses)
    }


def _operation(
    spec: EndpointSpec, path_params: list[dict[str, Any]], operation_id: str
) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": spec.summary, "tags": spec.tags}
    op["parameters"] = path_params + (_query_params(spec.query) if spec.query else [])
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=spec.body.__name__)}}
            },
        }
    if spec.raw_body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {media: {"schema": schema} for media, schema in spec.raw_body.items()},
        }
    ok: dict[str, Any] = {"description": "OK"}
    if spec.response is not None:
        schema = {"$ref": REF.format(model=spec.response.__name__)}
        ok["content"] = {"application/json": {"schema": schema}}
    if spec.produces is not None:
        ok["content"] = {spec.produces: {"schema": {"type": "string"}}}
    op["responses"] = {str(spec.status): ok, **_error_responses(spec)}
    if spec.policy.public:
        op["security"] = []
    op["x-access-policy"] = spec.policy.name
    roles = spec.policy.roles
    op["x-roles"] = sorted(str(r) for r in roles) if roles is not None else None
    op["x-scopes"] = sorted(spec.policy.scopes)
    return op


def build_document(app: Flask) -> dict[str, Any]:
    """Walk the URL map and describe every declared API endpoint."""
    paths: dict[str, dict[str, Any]] = {}
    models: set[tuple[type[BaseModel], str]] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        spec: EndpointSpec | None = getattr(app.view_functions[rule.endpoint], "api_spec", None)
        if spec is None:
            continue
        path, params = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation_id = rule.endpoint.split(".")[-1]
            paths.setdefault(path, {})[method.lower()] = _operation(spec, params, operation_id)
        if spec.body is not None:
            models.add((spec.body, "validation"))
        if spec.response is not None:
            models.add((spec.response, "serialization"))
    ordered = sorted(models, key=lambda pair: (pair[0].__name__, pair[1]))
    _, defs = models_json_schema(ordered, ref_template=REF)  # type: ignore[arg-type]
    schemas = {"Error": ERROR_SCHEMA, **defs.get("$defs", {})}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Nachtwacht API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@api.get("/openapi.json")
@endpoint("This document", PUBLIC, tags=("meta",))
def openapi_document():
    """Serve the OpenAPI document."""
    return jsonify(build_document(current_app))
