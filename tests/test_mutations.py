"""Hundreds of one-change mutants of the example stacks: every invalid one is rejected, located at the line that
was changed, and nothing ever ends in a traceback.

Each mutant changes one line of one stack file in a way that must be refused: a misspelt key at any depth, a value of
the wrong type, a value outside its range or enum, a name that is no DNS name, a reference to nothing, a duplicate
key, a YAML syntax error, or scaling bounds that contradict each other. The mutants are derived from the files as
they are, so they follow the examples when those change.
"""

from __future__ import annotations

import shutil
import typing
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import annotated_types
import pytest
from pydantic import BaseModel

from modelfleet.compile import compile_environments
from modelfleet.load.project import Project, SpecError
from modelfleet.load.source_yaml import load_yaml_file
from modelfleet.spec.diagnostics import _unwrap
from modelfleet.spec.stack import StackSpec
from tests.conftest import ROOT

NAMED_LISTS = ("gpuPools", "storage", "runtimes", "models", "rayClusters")
REFERENCES = {("runtime",): "nosuch-runtime", ("gpu", "pool"): "nosuch-pool", ("storage", "name"): "nosuch-storage"}


@dataclass(frozen=True)
class Mutant:
    kind: str
    file: str    # stack file name
    line: int    # 1-based line that was changed (or inserted)
    text: str    # the whole mutated file


def spec_path(path: tuple) -> tuple | None:
    """("config", "modelfleet:models", 0, "gpu") -> ("models", 0, "gpu"); None outside modelfleet's config."""
    if len(path) < 2 or path[0] != "config" or not str(path[1]).startswith("modelfleet:"):
        return None
    return (str(path[1]).partition(":")[2],) + tuple(path[2:])


def annotation_at(path: tuple):
    annotation: typing.Any = StackSpec
    for key in path:
        annotation = _unwrap(annotation, key)
        if annotation is None:
            return None
    return _unwrap(annotation, None)


def field_info(path: tuple):
    """The pydantic field at `path` (its parent must be a model), or None."""
    parent = annotation_at(path[:-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        by_alias = {field.alias or name: field for name, field in parent.model_fields.items()}
        return by_alias.get(path[-1])
    return None


def parent_is_model(path: tuple) -> bool:
    parent = annotation_at(path[:-1]) if path[:-1] else StackSpec
    return isinstance(parent, type) and issubclass(parent, BaseModel)


def replace_at(lines: list[str], line: int, column: int, old: str, new: str) -> str | None:
    text = lines[line - 1]
    start = column - 1
    if text[start : start + len(old)] != old:
        return None
    changed = list(lines)
    changed[line - 1] = text[:start] + new + text[start + len(old) :]
    return "".join(changed)


def block_scalar(lines: list[str], line: int, column: int, value) -> str | None:
    """The source text of a block-style scalar value that fills the rest of its line (None otherwise)."""
    rest = lines[line - 1][column - 1 :].rstrip("\n")
    rest = rest.split(" #")[0].rstrip()
    if not rest or rest[0] in "{[|>&*!" or rest.endswith((",", "}", "]")):
        return None
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    return rest if rest.strip("'\"") == shown else None


def mutants_of(name: str) -> list[Mutant]:
    path = ROOT / "stacks" / name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    document = load_yaml_file(path, f"stacks/{name}")
    found: list[Mutant] = []

    def add(kind: str, line: int, text: str | None) -> None:
        if text is not None:
            found.append(Mutant(kind, name, line, text))

    def value_at(full: tuple):
        node = document.data
        for key in full:
            node = node[key]
        return node

    for full, key_position in document.positions.items():
        path = spec_path(full)
        if path is None or len(path) < 2 or not isinstance(full[-1], str) or not parent_is_model(path):
            continue  # only fields of the spec's models: free-form maps (labels, nodeSelector) take any key
        value = value_at(full)
        at = document.value_positions[full]
        add("misspelt key", key_position.line, replace_at(lines, key_position.line, key_position.column, full[-1], full[-1] + "x"))
        source = block_scalar(lines, at.line, at.column, value) if isinstance(value, (str, int, float)) else None
        if source is None:
            continue  # the value mutants below rewrite a plain scalar that fills the rest of its line
        def rewrite(new: str) -> str | None:
            return replace_at(lines, at.line, at.column, source, new)
        add("wrong type", at.line, rewrite("{wrong: type}"))
        if key_position.line == at.line:
            duplicated = list(lines)
            duplicated.insert(key_position.line, lines[key_position.line - 1])
            add("duplicate key", key_position.line + 1, "".join(duplicated))
        info = field_info(path)
        for bad in bad_values(info, value) if info is not None else []:
            add("out of range or enum", at.line, rewrite(bad))
        if path[-1] == "name" and len(path) == 3 and path[0] in NAMED_LISTS and isinstance(value, str):
            add("bad name", at.line, rewrite("Bad_Name"))
        for suffix, dangling in REFERENCES.items():
            if path[0] == "models" and tuple(path[2:]) == suffix and isinstance(value, str):
                add("dangling reference", at.line, rewrite(dangling))
        if path[-1] == "maxReplicas" and isinstance(value, int) and value_at(full[:-1]).get("minReplicas", 0) >= 1:
            add("contradiction", at.line, rewrite(str(value_at(full[:-1])["minReplicas"] - 1)))
    seen_lines = set()
    for full, key_position in document.positions.items():
        if spec_path(full) and key_position.line not in seen_lines and isinstance(full[-1], str):
            seen_lines.add(key_position.line)
            text = lines[key_position.line - 1]
            indent = len(text) - len(text.lstrip(" "))
            if indent >= 2:  # a tab in the indentation: YAML forbids it
                add("YAML syntax", key_position.line, replace_at(lines, key_position.line, 1, text[:indent], text[: indent - 1] + "\t"))
    return found


def bad_values(info, value) -> list[str]:
    """Values outside the field's declared range, or outside its enum."""
    bad = []
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge) and isinstance(value, int):
            bad.append(str(rule.ge - 1))
        elif isinstance(rule, annotated_types.Gt) and isinstance(value, int):
            bad.append(str(rule.gt))
        elif isinstance(rule, annotated_types.Le) and isinstance(value, int):
            bad.append(str(rule.le + 1))
    annotation = info.annotation
    for candidate in typing.get_args(annotation) or (annotation,):
        if typing.get_origin(candidate) is typing.Literal and isinstance(value, str):
            bad.append("NotOneOfThem")
    return bad[:1]


@pytest.fixture(scope="module")
def mutants() -> list[Mutant]:
    found = [mutant for name in sorted(path.name for path in (ROOT / "stacks").glob("*.yaml")) for mutant in mutants_of(name)]
    unique = {mutant.text: mutant for mutant in found}  # one mutation may be found twice (e.g. a name is also a key)
    return sorted(unique.values(), key=lambda m: (m.file, m.line, m.kind))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mutants")
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", root / "stacks")
    shutil.copytree(ROOT / "runtime-image", root / "runtime-image")
    return root


def test_every_mutant_is_rejected_at_the_mutated_line_without_a_traceback(mutants, project):
    assert len(mutants) >= 500, Counter(m.kind for m in mutants)
    envs = sorted(path.name[len("Pulumi."):-len(".yaml")] for path in (project / "stacks").glob("Pulumi.*.yaml"))
    accepted, elsewhere, crashed = [], [], []
    for mutant in mutants:
        target = project / "stacks" / mutant.file
        original = target.read_text(encoding="utf-8")
        target.write_text(mutant.text, encoding="utf-8")
        affected = envs if mutant.file == "shared.yaml" else [mutant.file[len("Pulumi."):-len(".yaml")]]
        try:
            compile_environments(Project.at(project), affected, None)
            accepted.append(mutant)
        except SpecError as error:
            where = f"stacks/{mutant.file}"
            if not any(p.position.file == where and p.position.line == mutant.line for p in error.problems):
                elsewhere.append((mutant, [str(p) for p in error.problems][:3]))
        except Exception as error:  # noqa: BLE001 - the point of the test: nothing but SpecError may escape
            crashed.append((mutant, repr(error)))
        finally:
            target.write_text(original, encoding="utf-8")
    located = 1 - len(elsewhere) / len(mutants)
    summary = f"{len(mutants)} mutants {dict(Counter(m.kind for m in mutants))}: {len(accepted)} accepted, {len(elsewhere)} located elsewhere, {len(crashed)} crashed"
    print(summary, f"; {located:.1%} located at the mutated line")
    assert not crashed, f"{summary}\n" + "\n".join(f"{m.file}:{m.line} {m.kind}: {e}" for m, e in crashed[:10])
    assert not accepted, f"{summary}\n" + "\n".join(f"{m.file}:{m.line} {m.kind}: {m.text.splitlines()[m.line - 1]!r}" for m in accepted[:10])
    assert located >= 0.98, f"{summary}\n" + "\n".join(f"{m.file}:{m.line} {m.kind}: {p}" for m, p in elsewhere[:10])
