"""The OpenAPI document is generated from the validating schemas and covers every API route."""

from __future__ import annotations

import json
import re


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_document_lists_every_api_route_and_its_refs_resolve(backend_app):
    doc = backend_app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for rule in backend_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                assert method.lower() in doc["paths"][path], f"{method} {path} undocumented"
    schemas = doc["components"]["schemas"]
    for ref in set(_refs(doc)):
        assert ref.split("/")[-1] in schemas, ref
    json.dumps(doc)


def test_request_schema_is_the_validator(backend_app):
    doc = backend_app.test_client().get("/api/v1/openapi.json").get_json()
    unit_create = doc["components"]["schemas"]["UnitCreate"]
    assert unit_create["additionalProperties"] is False
    assert set(unit_create["required"]) == {"call_sign", "phone"}
    post = doc["paths"]["/api/v1/units"]["post"]
    assert {"201", "401", "403", "422"} <= set(post["responses"])
