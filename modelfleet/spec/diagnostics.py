"""Turn pydantic validation errors into located, actionable problems (file:line:col: path: what; how to fix)."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from modelfleet.load.merge import MergedNode, Origin, Provenance, locate, source_path
from modelfleet.load.source_yaml import SourceProblem, format_path
from modelfleet.spec.base import DNS1035_LABEL, DNS1123_LABEL, DNS1123_SUBDOMAIN

_PATTERN_HINTS = {
    DNS1035_LABEL: "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter, "
    "ending with a letter or digit",
    DNS1123_LABEL: "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with "
    "a letter or digit",
    DNS1123_SUBDOMAIN: "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.'",
}

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}

_SECRET_HINT = ("token", "secret", "password", "key", "credential")


def describe_input(value: Any, path: tuple) -> str:
    """Describe a bad input without echoing anything that might be a credential."""
    if "value" in path or any(hint in str(part).lower() for part in path for hint in _SECRET_HINT):
        return {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(type(value), "a value")
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "null"
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__


def model_fields_at(root: type[BaseModel], loc: tuple) -> dict[str, str] | None:
    """Aliases -> attribute names of the model found at `loc` under `root`, or None if not a model."""
    annotation: Any = root
    for key in loc:
        annotation = _unwrap(annotation, key)
        if annotation is None:
            return None
    annotation = _unwrap(annotation, None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {field.alias or name: name for name, field in annotation.model_fields.items()}
    return None


def _unwrap(annotation: Any, key: str | int | None) -> Any:
    """Step one path element into a type annotation (through Optional, list, dict, Annotated)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union or origin is types.UnionType:
            candidates = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = candidates[0] if len(candidates) == 1 else annotation
            if len(candidates) != 1:
                return annotation if key is None else None
        else:
            break
    if key is None:
        return annotation
    origin = typing.get_origin(annotation)
    if origin is list and isinstance(key, int):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(key, str):
        by_alias = {field.alias or name: field for name, field in annotation.model_fields.items()}
        return by_alias[key].annotation if key in by_alias else None
    return None


def message_for(error: dict, root: type[BaseModel]) -> str:
    """One line: what is wrong and how to fix it."""
    kind, loc, value, ctx = error["type"], error["loc"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return f"required field '{loc[-1]}' is missing; add it"
    if kind == "extra_forbidden":
        allowed = model_fields_at(root, loc[:-1]) or {}
        close = [name for name in allowed if name.lower() == str(loc[-1]).lower()]
        close = close or difflib.get_close_matches(str(loc[-1]), list(allowed), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed fields: {', '.join(allowed)}"
        return f"unknown field '{loc[-1]}'; {hint}"
    if kind in _TYPE_NAMES:
        fix = "fix the value"
        if kind == "bool_type" and isinstance(value, str) and value.lower() not in ("true", "false"):
            fix = "write true or false (yes/no/on/off are strings in YAML 1.2)"
        elif isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
            fix = "write it without quotes"
        return f"expected {_TYPE_NAMES[kind]}, got {describe_input(value, loc)}; {fix}"
    if kind == "literal_error":
        return f"{describe_input(value, loc)} is not allowed; use one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(ctx.get("pattern"), f"must match {ctx.get('pattern')}")
        return f"{describe_input(value, loc)} {hint}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": "at least", "greater_than": "above", "less_than_equal": "at most", "less_than": "below"}[kind]
        bound = next(iter(ctx.values()))
        return f"{value} is out of range; it must be {word} {bound}"
    if kind in ("too_short", "too_long", "string_too_long", "string_too_short"):
        return f"{error['msg'].rstrip('.')}; fix the length"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _field_in_question(item: dict, root: type[BaseModel], provenance: Provenance, loc: tuple) -> tuple:
    """A rule over several fields of one model (`set exactly one of storage or storageUri`) is reported at the
    model; locate it at a field it names that is set, preferably one the stack file sets (where the conflict was
    made), rather than at the model entry, which may be in a file that sets none of them."""
    fields = model_fields_at(root, loc) if item["type"] == "value_error" else None
    node = _merged_at(provenance, loc)
    if not fields or node is None:
        return loc
    message = message_for(item, root)
    named = [field for field in fields if re.search(rf"\b{re.escape(field)}\b", message) and field in node.children]
    stack_document = provenance.origin.document if isinstance(provenance, MergedNode) else None
    from_stack = [field for field in named if isinstance(node.children[field], Origin) and node.children[field].document is stack_document]
    return loc + ((from_stack or named)[0],) if named else loc


def _merged_at(provenance: Provenance, loc: tuple) -> MergedNode | None:
    node = provenance
    for key in loc:
        node = node.children.get(key) if isinstance(node, MergedNode) else None
    return node if isinstance(node, MergedNode) else None


def validation_problems(error: ValidationError, root: type[BaseModel], provenance: Provenance) -> list[SourceProblem]:
    """Every error of a pydantic validation, located in the source files."""
    problems = []
    for item in error.errors(include_url=False):
        loc = _field_in_question(item, root, provenance, tuple(item["loc"]))
        problems.append(SourceProblem(locate(provenance, loc), format_path(source_path(provenance, loc)), message_for(item, root)))
    return problems


def unknown_null_keys(provenance: Provenance, root: type[BaseModel], path: tuple = ()) -> list[SourceProblem]:
    """Keys set to null in a stack file that are no field at all: the merge drops nulls (the field takes its
    default), so without this check a misspelt `namespce: null` would pass unnoticed."""
    if not isinstance(provenance, MergedNode):
        return []
    problems = []
    fields = model_fields_at(root, path) if provenance.nulls else None
    for key in provenance.nulls:
        if fields is not None and key not in fields:
            message = message_for({"type": "extra_forbidden", "loc": path + (key,)}, root)
            where = provenance.origin.child(key)
            problems.append(SourceProblem(where.position(), format_path(source_path(where, ())), message))
    for key, child in provenance.children.items():
        problems += unknown_null_keys(child, root, path + (key,))
    return problems
