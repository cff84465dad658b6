"""The NENA EIDO schema (NENA-STA-021), loaded once from the vendored files, as a validator.

The files are kept as published (dispatch/data/standards/eido). Two quirks are handled here,
never by editing them: one `minItems` is the string "1," (a typo in the official file; read as
the integer 1), and one reference spells `NIEMComponents//j.yaml` (the double slash is served
as the same document). References between the files are relative paths, resolved through a
`referencing.Registry` of every file under one made-up base URI. Draft 4 semantics, as the
schema's OpenAPI 3.0 dialect has them; `format` is an annotation, not checked.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ROOT = Path(__file__).parent / "data" / "standards" / "eido"
DOCUMENT_TYPE = "EmergencyIncidentDataObjectType"
COUNT_TYPO = re.compile(r"^\s*(\d+)\s*,?\s*$")


def _coerce(node: Any) -> Any:
    """The schema with any `minItems`/`maxItems` written as a string read as its integer."""
    if isinstance(node, dict):
        fixed = {k: _coerce(v) for k, v in node.items()}
        for key in ("minItems", "maxItems"):
            value = fixed.get(key)
            if isinstance(value, str) and (match := COUNT_TYPO.match(value)):
                fixed[key] = int(match.group(1))
        return fixed
    if isinstance(node, list):
        return [_coerce(v) for v in node]
    return node


# libyaml's safe loader (in PyYAML's wheels): the 44 files of NENA's schema (3 MB) load in under
# a second instead of six, so the first EIDO a process receives is not kept waiting for them.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _resource(path: Path) -> Resource:
    contents = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    return Resource.from_contents(_coerce(contents), default_specification=DRAFT4)


@functools.cache
def validator() -> Draft4Validator:
    """A Draft 4 validator of EmergencyIncidentDataObjectType (loaded on first use)."""
    resources = {"file:///openapi.yaml": _resource(ROOT / "openapi.yaml")}
    for path in sorted((ROOT / "NIEMComponents").glob("*.yaml")):
        resource = _resource(path)
        resources[f"file:///NIEMComponents/{path.name}"] = resource
        resources[f"file:///NIEMComponents//{path.name}"] = resource  # the double-slash ref
    registry: Registry = Registry().with_resources(resources.items())
    root = {"$ref": f"file:///openapi.yaml#/components/schemas/{DOCUMENT_TYPE}"}
    return Draft4Validator(root, registry=registry)


def json_path(parts: Any) -> str:
    """A JSON path (`$.locationComponent[0].$id`) of an error's place in the document."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def errors(document: Any) -> list[tuple[str, str]]:
    """Every schema error of a document as (JSON path, the schema's message), in path order; a
    missing property is named by its own path (`$.agencyComponent`)."""
    return sorted((_path(e), e.message) for e in validator().iter_errors(document))


def _path(error: ValidationError) -> str:
    path = json_path(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        named = [p for p in missing if repr(p) in error.message]
        if named:
            return f"{path}.{named[0]}"
    return path
