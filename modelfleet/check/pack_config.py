"""An environment's policy config file, reconciled and validated the way the Pulumi CLI does it.

`pulumi preview --policy-pack-config <file>` reads a JSON object keyed by policy name (or "all") whose
values are an enforcement level or an object of `enforcementLevel` plus properties; it starts from each
policy's defaults (level and the schema's `default` values), applies the file, then validates every
policy's properties against its config schema (plus `enforcementLevel`). One addition here: a policy
name the pack does not have is an error (a typo would otherwise silently configure nothing).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from modelfleet.load.source_yaml import Path_, Position, SourceProblem, YamlDocument, YamlSourceError, format_path, load_yaml
from modelfleet.load.project import SpecError
from modelfleet.check.analyzer_client import LEVELS, PolicyInfo

ALL = "all"
PolicyConfig = dict[str, tuple[str, dict[str, Any]]]  # policy -> (enforcement level, properties)


def _schema(policy: PolicyInfo) -> dict[str, Any]:
    """JSON schema of a policy's config entry, with `enforcementLevel` injected as the CLI does."""
    schema: dict[str, Any] = {"type": "object", "properties": {**policy.config_schema, "enforcementLevel": {"type": "string", "enum": list(LEVELS)}}}
    if policy.required:
        schema["required"] = list(policy.required)
    return schema


def _entry(document: YamlDocument, key: str, value: Any, problems: list[SourceProblem]) -> tuple[str | None, dict[str, Any]]:
    """(level or None, properties) of one entry of the file."""
    if isinstance(value, str):
        return value, {}  # validated with the policy's schema, like an object's enforcementLevel
    if not isinstance(value, dict):
        problems.append(SourceProblem(document.position_of((key,)), key, "must be an enforcement level or an object of enforcementLevel and properties"))
        return None, {}
    properties = {name: item for name, item in value.items() if name != "enforcementLevel"}
    return value.get("enforcementLevel"), properties


def reconcile(path: Path, shown: str, policies: Mapping[str, PolicyInfo]) -> PolicyConfig:
    """Defaults, then the file's `all` level, then each policy's entry; validated. Raises SpecError."""
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # the Pulumi CLI reads strict JSON: no trailing commas, no comments
        document = load_yaml(text, shown)  # JSON is YAML: this keeps line:col for every key
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError([SourceProblem(Position(shown, 1, 1), "", f"cannot read the policy config: {error}")]) from None
    except json.JSONDecodeError as error:
        raise SpecError([SourceProblem(Position(shown, error.lineno, error.colno), "", f"invalid JSON: {error.msg}; fix the syntax")]) from None
    except YamlSourceError as error:
        raise SpecError(error.problems) from None
    data = document.data
    if not isinstance(data, dict):
        raise SpecError([SourceProblem(document.position_of(()), "", "expected a JSON object keyed by policy name")])
    problems: list[SourceProblem] = []
    config: PolicyConfig = {
        name: (policy.level, {key: spec["default"] for key, spec in policy.config_schema.items() if isinstance(spec, dict) and "default" in spec})
        for name, policy in policies.items()
    }
    entries = {key: _entry(document, key, value, problems) for key, value in data.items()}
    everything = entries.get(ALL, (None, {}))[0]
    if everything is not None and everything not in LEVELS:
        problems.append(SourceProblem(document.value_position_of((ALL,)), ALL, f"'{everything}' is not an enforcement level; use one of {', '.join(LEVELS)}"))
    elif everything is not None:
        config = {name: (everything, properties) for name, (_, properties) in config.items()}
    for key, (level, properties) in entries.items():
        if key == ALL:
            continue
        if key not in policies:
            close = difflib.get_close_matches(key, list(policies), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"policies: {', '.join(policies)}"
            problems.append(SourceProblem(document.position_of((key,)), key, f"the pack has no policy '{key}'; {hint}"))
            continue
        default_level, merged = config[key]
        config[key] = (level or default_level, {**merged, **properties})
    for name, policy in policies.items():
        level, properties = config[name]
        document_entry = {**properties, "enforcementLevel": level}
        for error in sorted(jsonschema.Draft7Validator(_schema(policy)).iter_errors(document_entry), key=lambda e: list(e.absolute_path)):
            located: Path_ = (name, *error.absolute_path) if name in data else ()
            problems.append(SourceProblem(document.position_of(located), format_path((name, *error.absolute_path)), error.message))
    if problems:
        raise SpecError(problems)
    return config
