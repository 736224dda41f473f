"""Kubernetes objects as the policy SDK hands them over: a type token and proxied properties.

Pulumi names a Kubernetes resource `kubernetes:<group>/<version>:<Kind>` (the core group is `core`), and
sends its properties through protobuf, so every number arrives as a float. `kube_object` turns that
into plain dicts and lists with whole numbers as ints, so rules compare `1.0` and `1` alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

_TYPE_TOKEN = re.compile(r"^kubernetes:(?P<group>[^:/]+)/(?P<version>[^:/]+):(?P<kind>[A-Za-z0-9]+)$")
Derived = TypeVar("Derived")


@dataclass(frozen=True)
class KubeObject:
    group: str  # "" for the core group
    kind: str
    data: dict
    derived: dict = field(default_factory=dict, compare=False, repr=False)  # results of per_object helpers, by helper

    @property
    def metadata(self) -> dict:
        return mapping(self.data.get("metadata"))

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def spec(self) -> dict:
        return mapping(self.data.get("spec"))

    def is_a(self, group: str, *kinds: str) -> bool:
        return self.group == group and self.kind in kinds

    def display(self) -> str:
        """`Kind namespace/name` (or `Kind name` for cluster-scoped objects)."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def per_object(helper: Callable[[KubeObject], Derived]) -> Callable[[KubeObject], Derived]:
    """helper(obj) computed once per object: when a host hands all policies of a resource the same props, they get
    the same KubeObject (support/policy.py), so what one rule derives (pods, images) the next ones reuse. The
    result is shared, so helpers return tuples, and the rules only read what they hold."""

    @wraps(helper)
    def once(obj: KubeObject) -> Derived:
        if helper not in obj.derived:
            obj.derived[helper] = helper(obj)
        return obj.derived[helper]

    return once


def plain(value: Any) -> Any:
    """Proxied mappings/sequences -> dicts/lists; integral floats -> ints (protobuf numbers are doubles).

    Strings and numbers, most of the values, are tested first: they are neither mappings nor sequences, and these
    two tests cost the most."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(key): plain(value[key]) for key in value}
    if isinstance(value, Sequence):
        return [plain(item) for item in value]
    return value


def kube_object(resource_type: str, props: Mapping[str, Any]) -> KubeObject | None:
    """The Kubernetes object behind a Pulumi resource, or None for anything else (providers, components)."""
    match = _TYPE_TOKEN.match(resource_type)
    if match is None:
        return None
    group = "" if match["group"] == "core" else match["group"]
    return KubeObject(group, match["kind"], plain(props))


def mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list:
    return value if isinstance(value, list) else []


def whole_number(value: Any) -> int | None:
    """An int from an int or a decimal string (Knative annotations are strings); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
