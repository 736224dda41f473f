"""Find the project, read the shared definitions and one stack file, merge them and validate the spec.

The stack files are ordinary Pulumi stack config files (stacks/Pulumi.<env>.yaml) holding keys of the
`modelfleet` config namespace, so `pulumi.Config("modelfleet")` reads them in `pulumi up`. The shared
definitions (stacks/shared.yaml) use the same `config:` layout; Pulumi never reads that file, the
program merges it (see merge.py for the rules).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelfleet.spec.diagnostics import describe_input, model_fields_at, unknown_null_keys, validation_problems
from modelfleet.load.merge import MergedNode, Origin, Provenance, merge
from modelfleet.load.source_yaml import Position, SourceProblem, YamlDocument, YamlSourceError, load_yaml_file
from modelfleet.load.project import SHARED_FILE, Project, SpecError
from modelfleet.spec import CONFIG_KEYS, CONFIG_NAMESPACE, StackSpec

NAMED_ENTRY_FIELDS = {key: tuple(fields) for key in CONFIG_KEYS if (fields := model_fields_at(StackSpec, (key, 0))) is not None}
"""The fields of an entry of each named list (gpuPools, storage, runtimes, models, ...), by config key."""
PULUMI_STACK_FILE_KEYS = frozenset({"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"})


@dataclass(frozen=True)
class LoadedStack:
    """The validated spec of one environment and where each of its values was written."""

    env: str
    spec: StackSpec
    provenance: Provenance
    project_root: Path


def _config_section(document: YamlDocument, allowed_top: set[str]) -> tuple[dict[str, Any], list[SourceProblem]]:
    """The modelfleet:* keys of a file's `config:` mapping (prefix stripped) and the problems found."""
    problems: list[SourceProblem] = []
    data = document.data
    if data is None:
        return {}, problems
    if not isinstance(data, dict):
        return {}, [SourceProblem(document.positions[()], "", "expected a mapping with a 'config:' key")]
    for key in data:
        if key not in allowed_top:
            problems.append(SourceProblem(document.positions[(key,)], key, f"unknown top-level key '{key}'; stack settings go under 'config:'"))
    config = data.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        return {}, problems + [SourceProblem(document.positions[("config",)], "config", "expected a mapping of config keys")]
    values: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if namespace != CONFIG_NAMESPACE:
            continue  # other namespaces (kubernetes:context, ...) belong to other programs
        if name not in CONFIG_KEYS:
            close = difflib.get_close_matches(name, CONFIG_KEYS, n=1)
            hint = f"did you mean '{CONFIG_NAMESPACE}:{close[0]}'?" if close else f"known keys: {', '.join(CONFIG_KEYS)}"
            problems.append(SourceProblem(document.positions[("config", key)], f"config.{key}", f"unknown config key; {hint}"))
        elif isinstance(value, dict) and "secure" in value:
            problems.append(SourceProblem(document.positions[("config", key)], f"config.{key}", "secret config values are not taken; reference Kubernetes Secrets by name instead"))
        else:
            values[name] = value
    return values, problems


def _name_problems(document: YamlDocument, values: dict[str, Any]) -> list[SourceProblem]:
    """Entries of a named list written twice in one file (they would otherwise merge into one), and names that
    are not strings (the merge matches entries by name)."""
    problems = []
    for key, value in values.items():
        if not isinstance(value, list):
            continue
        first: dict[Any, int] = {}
        for index, item in enumerate(value):
            if isinstance(item, dict) and "name" not in item and any(isinstance(other, dict) and "name" in other for other in value):
                path = ("config", f"{CONFIG_NAMESPACE}:{key}", index)
                unknown = ", ".join(f"'{field}'" for field in item if isinstance(field, str) and field not in NAMED_ENTRY_FIELDS.get(key, ()))
                hint = f" (is {unknown} a misspelt name?)" if unknown else ""
                problems.append(SourceProblem(document.value_position_of(path), f"{key}[{index}]", f"required field 'name' is missing{hint}; add it, since entries merge by name"))
            elif isinstance(item, dict) and "name" in item and not isinstance(item["name"], str):
                path = ("config", f"{CONFIG_NAMESPACE}:{key}", index, "name")
                problems.append(SourceProblem(document.value_position_of(path), f"{key}[{index}].name", f"expected a string, got {describe_input(item['name'], path)}; write the entry's name"))
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                if item["name"] in first:
                    path = ("config", f"{CONFIG_NAMESPACE}:{key}", index, "name")
                    problems.append(SourceProblem(document.position_of(path), f"{key}[{index}].name", f"duplicate name '{item['name']}' (also {key}[{first[item['name']]}]); names must be unique"))
                first.setdefault(item["name"], index)
    return problems


def _read(path: Path, shown: str, allowed_top: frozenset[str]) -> tuple[YamlDocument | None, dict[str, Any], list[SourceProblem]]:
    """A stack file's document, its modelfleet config and its problems. Parsed once per content: shared.yaml is
    merged under every environment of a run, and nothing downstream changes what is returned."""
    try:
        content = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except OSError:
        content = None  # load_yaml_file reports it
    key = (str(path), shown, allowed_top, content)
    if key not in _READ:
        if len(_READ) >= 8:
            _READ.pop(next(iter(_READ), None), None)  # diff compiles two projects in two threads
        try:
            document = load_yaml_file(path, display_name=shown)
        except YamlSourceError as error:
            _READ[key] = (None, {}, list(error.problems))
        else:
            _READ[key] = (document, *_config_section(document, allowed_top))
    document, values, problems = _READ[key]
    return document, values, list(problems)


_READ: dict[tuple, tuple[YamlDocument | None, dict[str, Any], list[SourceProblem]]] = {}


def load_stack(project: Project, env: str, pulumi_config: dict[str, Any] | None = None) -> LoadedStack:
    """Load, merge and validate the spec of `env`. Raises SpecError with every problem found.

    `pulumi_config` is what `pulumi.Config` returned inside `pulumi up`; when given it is the truth, and
    the stack file is only used to locate errors (if its values are the same).
    """
    stack_path = project.stack_file(env)
    shared_path = project.stacks_dir / SHARED_FILE
    problems: list[SourceProblem] = []
    shared_doc, shared, found = (None, {}, []) if not shared_path.is_file() else _read(shared_path, project.display(shared_path), frozenset({"config"}))
    problems += found
    if stack_path.is_file() or pulumi_config is None:
        stack_doc, stack, found = _read(stack_path, project.display(stack_path), PULUMI_STACK_FILE_KEYS)
        problems += found
    else:
        stack_doc, stack = None, {}
    if pulumi_config is not None and (stack_doc is None or stack != pulumi_config):
        config = {f"{CONFIG_NAMESPACE}:{key}": value for key, value in pulumi_config.items()}
        stack_doc = YamlDocument({"config": config}, {(): Position(f"pulumi config of stack {env}", 1, 1)})
        stack = dict(pulumi_config)
    if shared_path.is_file() and shared_doc is None or stack_doc is None:
        raise SpecError(problems)  # a file that does not parse: nothing more to check
    repeated = [p for doc, values in ((shared_doc, shared), (stack_doc, stack)) if doc for p in _name_problems(doc, values)]
    if repeated:
        raise SpecError(problems + repeated)  # merging by name is ambiguous until names are unique strings

    data: dict[str, Any] = {}
    children: dict[str | int, Provenance] = {}
    for key in CONFIG_KEYS:
        stack_origin = Origin(stack_doc, ("config", f"{CONFIG_NAMESPACE}:{key}"))
        shared_origin = Origin(shared_doc, ("config", f"{CONFIG_NAMESPACE}:{key}")) if shared_doc else None
        if key in stack and key in shared and stack[key] is not None:
            data[key], children[key] = merge(shared[key], shared_origin, stack[key], stack_origin)
        elif key in stack and stack[key] is not None:
            data[key], children[key] = stack[key], stack_origin
        elif key in shared and key not in stack:
            data[key], children[key] = shared[key], shared_origin
    provenance = MergedNode(Origin(stack_doc, ()), children)
    problems += unknown_null_keys(provenance, StackSpec)
    try:
        spec = StackSpec.model_validate(data)
    except ValidationError as error:
        problems += validation_problems(error, StackSpec, provenance)
    if problems:
        raise SpecError(problems)
    return LoadedStack(env, spec, provenance, project.root)
