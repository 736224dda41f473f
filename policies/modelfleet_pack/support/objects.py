"""Kubernetes objects as the policy SDK hands them over: a type token and proxied properties.

Pulumi names a Kubernetes resource `kubernetes:<group>/<version>:<Kind>` (the core group is `core`), and
sends its properties through protobuf, so every number arrives as a float. `kube_object` turns that
into plain dicts and lists with whole numbers as ints, so rules compare `1.0` and `1` alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_TYPE_TOKEN = re.compile(r"^kubernetes:(?P<group>[^:/]+)/(?P<version>[^:/]+):(?P<kind>[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class KubeObject:
    group: str  # "" for the core group
    kind: str
    data: dict

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


def plain(value: Any) -> Any:
    """Proxied mappings/sequences -> dicts/lists; integral floats -> ints (protobuf numbers are doubles)."""
    if isinstance(value, Mapping):
        return {str(key): plain(value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
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
