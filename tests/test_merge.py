"""Merge rules of shared definitions and stack files (README: Shared definitions and merge rules)."""

from __future__ import annotations

from modelfleet.load.merge import Origin, locate, merge
from modelfleet.load.source_yaml import load_yaml


def merged(base_text: str, over_text: str):
    base, over = load_yaml(base_text, "shared.yaml"), load_yaml(over_text, "stack.yaml")
    return merge(base.data, Origin(base, ()), over.data, Origin(over, ()))


def test_mappings_merge_recursively_and_stack_wins():
    data, _ = merged("a: {x: 1, y: 2}\nb: 1\n", "a: {y: 3, z: 4}\n")
    assert data == {"a": {"x": 1, "y": 3, "z": 4}, "b": 1}


def test_null_removes_shared_value():
    data, _ = merged("a: {x: 1, y: 2}\n", "a: {x: null}\n")
    assert data == {"a": {"y": 2}}


def test_named_lists_merge_by_name_and_append_new_names():
    data, _ = merged(
        "models:\n  - {name: a, v: 1, w: 1}\n  - {name: b, v: 1}\n",
        "models:\n  - {name: c, v: 3}\n  - {name: a, v: 2}\n",
    )
    assert data == {"models": [{"name": "a", "v": 2, "w": 1}, {"name": "b", "v": 1}, {"name": "c", "v": 3}]}


def test_other_lists_are_replaced_whole():
    data, _ = merged("args: [--a, --b]\ntol: [{key: x}]\n", "args: [--c]\ntol: [{key: y}]\n")
    assert data == {"args": ["--c"], "tol": [{"key": "y"}]}


def test_positions_follow_values_to_their_file():
    _, provenance = merged("models:\n  - name: a\n    v: 1\n    w: 1\n", "models:\n  - name: a\n    v: 2\n")
    assert str(locate(provenance, ("models", 0, "v"))) == "stack.yaml:3:5"
    assert str(locate(provenance, ("models", 0, "w"))) == "shared.yaml:4:5"
    assert str(locate(provenance, ("models", 0, "missing"))) == "stack.yaml:2:5"
