"""The vendors' API descriptions, trimmed to the operations we call, and request validation against them.

The full documents (Jira Cloud platform OpenAPI 3, Freshservice v2 Swagger 2) live outside the product;
`data/specs/` holds trimmed copies (provenance in `data/specs/PROVENANCE.md`) so the clients, the
validation layer and the sandboxes check bodies against the vendor's own schemas without `../shared`.
`trim_spec` rebuilds a trimmed copy from a full document, and a test proves the copies are faithful.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPECS_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "specs"
SPEC_FILES = {"jira": "jira-platform-v3.trimmed.json", "freshservice": "freshservice-v2.0.1.trimmed.json"}
SpecName = Literal["jira", "freshservice"]

KEPT_OPERATIONS: dict[SpecName, tuple[tuple[str, str], ...]] = {
    "jira": (
        ("/rest/api/3/issue/{issueIdOrKey}", "get"),
        ("/rest/api/3/issue/{issueIdOrKey}/comment", "get"),
        ("/rest/api/3/issue/{issueIdOrKey}/comment", "post"),
        ("/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "delete"),
        ("/rest/api/3/issue/{issueIdOrKey}/transitions", "get"),
        ("/rest/api/3/issue/{issueIdOrKey}/transitions", "post"),
    ),
    "freshservice": (
        ("/api/v2/tickets/{ticket_id}", "get"),
        ("/api/v2/tickets/{ticket_id}", "put"),
        ("/api/v2/tickets/{ticket_id}/notes", "post"),
        ("/api/v2/tickets/{ticket_id}/reply", "post"),
        ("/api/v2/tickets/{ticket_id}/conversations", "get"),
        ("/api/v2/tickets/{ticket_id}/conversations/{conversation_id}", "delete"),
    ),
}
"""The operations the clients use; everything else is dropped from the vendored copies."""

_EXTRA_SCHEMAS: dict[SpecName, tuple[str, ...]] = {
    "jira": ("ErrorCollection",),
    "freshservice": ("BadRequest", "FieldError", "RateLimitError", "InternalServerError"),
}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _schemas_of(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["components"]["schemas"] if "components" in spec else spec["definitions"]


def trim_spec(name: SpecName, full: dict[str, Any]) -> dict[str, Any]:
    """Keep the used operations and every schema they reference (transitively), nothing else."""
    schemas = _schemas_of(full)
    paths: dict[str, dict[str, Any]] = {}
    wanted: set[str] = set(_EXTRA_SCHEMAS[name])
    for path, method in KEPT_OPERATIONS[name]:
        operation = full["paths"][path][method]
        paths.setdefault(path, {})[method] = operation
        _refs(operation, wanted)
    kept: set[str] = set()
    while wanted:
        schema = wanted.pop()
        if schema in kept or schema not in schemas:
            continue
        kept.add(schema)
        _refs(schemas[schema], wanted)
    trimmed: dict[str, Any] = {k: full[k] for k in ("openapi", "swagger", "info") if k in full}
    trimmed["paths"] = paths
    if "components" in full:
        trimmed["components"] = {"schemas": {k: schemas[k] for k in sorted(kept)}}
    else:
        trimmed["definitions"] = {k: schemas[k] for k in sorted(kept)}
    return trimmed


@lru_cache(maxsize=2)
def load_spec(name: SpecName) -> dict[str, Any]:
    """The vendored trimmed document."""
    return json.loads((SPECS_DIR / SPEC_FILES[name]).read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def _operations(name: SpecName) -> tuple[tuple[re.Pattern[str], str, dict[str, Any]], ...]:
    """(path regex, method, operation) for every kept operation, most specific path first."""
    ops = []
    for path, methods in load_spec(name)["paths"].items():
        regex = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in methods.items():
            ops.append((regex, method, operation))
    return tuple(sorted(ops, key=lambda op: -len(op[0].pattern)))


def find_operation(name: SpecName, method: str, path: str) -> dict[str, Any] | None:
    """The spec operation answering `method path` (path without query), or None when not covered."""
    for regex, op_method, operation in _operations(name):
        if op_method == method.lower() and regex.match(path):
            return operation
    return None


def _body_schema(name: SpecName, operation: dict[str, Any]) -> dict[str, Any] | None:
    if name == "jira":
        content = operation.get("requestBody", {}).get("content", {})
        return content.get("application/json", {}).get("schema")
    for param in operation.get("parameters", []):
        if param.get("in") == "body":
            return param.get("schema")
    return None


@lru_cache(maxsize=2)
def _registry(name: SpecName) -> Registry:
    spec = load_spec(name)
    return Registry().with_resource("urn:spec", Resource(spec, specification=DRAFT4))


def _resolve(name: SpecName, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _schemas_of(load_spec(name))[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _read_only_violations(name: SpecName, schema: dict[str, Any], body: Any, where: str) -> list[str]:
    """Properties the spec marks readOnly must not be sent (jsonschema itself ignores readOnly)."""
    if not isinstance(body, dict):
        return []
    schema = _resolve(name, schema)
    props: dict[str, Any] = {}
    for part in [schema, *schema.get("allOf", [])]:
        props.update(_resolve(name, part).get("properties", {}))
    problems = []
    for key, value in body.items():
        sub = props.get(key)
        if sub is None:
            continue
        if sub.get("readOnly"):
            problems.append(f"{where}{key}: read-only in the spec")
        nested = sub["allOf"][0] if "allOf" in sub and len(sub["allOf"]) == 1 else sub
        problems += _read_only_violations(name, nested, value, f"{where}{key}.")
    return problems


DOCUMENTED_PARAMS: dict[SpecName, frozenset[str]] = {"jira": frozenset(), "freshservice": frozenset({"page"})}
"""Query parameters the live documentation has and the (partial) spec lacks: Freshservice pagination."""


def _param_problems(name: SpecName, operation: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """Query parameters must be declared by the operation, and within their enum when it has one."""
    declared = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}
    problems = []
    for key, value in params.items():
        param = declared.get(key)
        if param is None and key in DOCUMENTED_PARAMS[name]:
            continue
        if param is None:
            problems.append(f"query parameter {key!r} is not declared by the spec")
            continue
        enum = (param.get("schema") or param).get("enum")
        if enum is not None and value not in enum:
            problems.append(f"query parameter {key}={value!r} is not one of {enum}")
    return problems


def _validator(name: SpecName, schema: dict[str, Any]) -> Draft4Validator:
    """A validator whose `$ref`s resolve inside the (trimmed) spec document."""
    pointer = "#/components/schemas/" if name == "jira" else "#/definitions/"
    wrapped = json.loads(json.dumps(schema).replace('"' + pointer, '"urn:spec' + pointer))
    return Draft4Validator(wrapped, registry=_registry(name))


def schema_problems(name: SpecName, schema_name: str, instance: Any) -> list[str]:
    """Problems of `instance` against a named schema of the spec (responses, error envelopes)."""
    validator = _validator(name, _schemas_of(load_spec(name))[schema_name])
    return [f"{'.'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in validator.iter_errors(instance)]


def validate_request(
    name: SpecName, method: str, path: str, body: Any, params: dict[str, Any] | None = None
) -> list[str] | None:
    """Problems of a request (body and query) against the spec; None when the spec does not cover it."""
    operation = find_operation(name, method, path)
    if operation is None:
        return None
    param_problems = _param_problems(name, operation, params or {})
    schema = _body_schema(name, operation)
    if schema is None:
        return param_problems + ([] if body is None else [f"{method.upper()} {path}: the spec defines no request body"])
    validator = _validator(name, schema)
    problems = [f"{'.'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in validator.iter_errors(body)]
    return param_problems + problems + _read_only_violations(name, schema, body, "")
