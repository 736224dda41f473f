"""Property-based fuzzing of the entry of the compiler (load -> spec -> resolve -> build): whatever a stack file
holds, the result is objects or located problems (SpecError), never another exception.

Each example starts from the example stacks and replaces one node of one file (any depth) with arbitrary YAML data:
scalars of every type (huge and negative numbers, NaN, odd strings), lists and mappings whose keys are often real
field names, so that the checks behind the first type error are reached too. CI runs a fixed, derandomised budget;
`MODELFLEET_FUZZ_EXAMPLES=100000 venv/bin/python -m pytest tests/test_fuzz.py` runs a long one by hand.
"""

from __future__ import annotations

import math
import os
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelfleet.compile import compile_environments
from modelfleet.load.project import Project, SpecError
from modelfleet.spec.stack import StackSpec
from tests.conftest import ROOT

EXAMPLES = int(os.environ.get("MODELFLEET_FUZZ_EXAMPLES", "150"))


def field_names() -> list[str]:
    """Every field name of the spec (its JSON Schema's property names)."""
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(StackSpec.model_json_schema(by_alias=True))
    return sorted(names)


FILES = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "stacks").glob("*.yaml"))}


def node_paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from node_paths(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from node_paths(value, path + (index,))


PATHS = [(name, path) for name, data in FILES.items() for path in node_paths(data) if len(path) >= 2]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "1e999", "0x1f", "yes", "null", "~", "Bad_Name", "a" * 300, "s3://", "pvc://x/y", "10Gi", "-20Gi", "500m", "nvidia.com/gpu", "--trust-remote-code", "latest"]),
)
keys = st.one_of(st.sampled_from(field_names()), st.text(min_size=1, max_size=12))
values = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)), max_leaves=12)


def replaced(data, path, value):
    if not path:
        return value
    copy = list(data) if isinstance(data, list) else dict(data)
    copy[path[0]] = replaced(data[path[0]], path[1:], value)
    return copy


def to_yaml(data) -> str:
    """YAML text of generated data; non-finite floats are written as the YAML words for them."""
    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True

    def represent_float(dumper, value):
        if math.isnan(value):
            return dumper.represent_scalar("tag:yaml.org,2002:float", ".nan")
        if math.isinf(value):
            return dumper.represent_scalar("tag:yaml.org,2002:float", ".inf" if value > 0 else "-.inf")
        return yaml.SafeDumper.represent_float(dumper, value)

    Dumper.add_representer(float, represent_float)
    return yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(ROOT / "runtime-image", root / "runtime-image")
    shutil.copytree(ROOT / "stacks", root / "stacks")
    return Project.at(root)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 1000, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(PATHS), value=values)
def test_any_stack_content_compiles_or_is_reported_never_a_crash(project, where, value):
    name, path = where
    target = project.stacks_dir / name
    original = target.read_text(encoding="utf-8")
    target.write_text(to_yaml(replaced(FILES[name], path, value)), encoding="utf-8")
    envs = project.environments() if name == "shared.yaml" else [name[len("Pulumi."):-len(".yaml")]]
    try:
        compile_environments(project, envs, None)
    except SpecError as error:
        assert error.problems and all(str(problem) for problem in error.problems)
    finally:
        target.write_text(original, encoding="utf-8")
