"""JSON Schema of a stack file (stacks/Pulumi.<env>.yaml and stacks/shared.yaml) for editors.

A single file is only part of an environment (shared definitions fill in the rest), so `required` is left
out: required fields are checked after the merge, with located errors.
"""

from __future__ import annotations

import json
from typing import Any

from .spec import CONFIG_NAMESPACE, StackSpec

SCHEMA_FILE = "schema.json"


def _drop_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _drop_required(value) for key, value in node.items() if key != "required"}
    if isinstance(node, list):
        return [_drop_required(item) for item in node]
    return node


def stack_file_schema() -> dict:
    spec_schema = _drop_required(StackSpec.model_json_schema(by_alias=True))
    config_properties = {
        f"{CONFIG_NAMESPACE}:{key}": value for key, value in spec_schema["properties"].items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "modelfleet stack file",
        "description": "Pulumi stack config of the modelfleet project; keys of other namespaces are allowed.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": config_properties,
                "propertyNames": {"not": {"pattern": f"^{CONFIG_NAMESPACE}:(?!({'|'.join(spec_schema['properties'])})$)"}},
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "additionalProperties": False,
        "$defs": spec_schema.get("$defs", {}),
    }


def schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
