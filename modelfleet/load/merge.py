"""Merge of the shared definitions with one stack file, keeping where every value came from.

Semantics (documented in README "Shared definitions and merge rules"):
- mappings merge key by key, recursively; the stack file wins;
- a key set to null in the stack file removes the shared value (the field falls back to its default);
- lists whose items are all mappings with a `name` (gpuPools, storage, runtimes, models, env, ...) merge
  by name: an item of the stack file updates the shared item of the same name (recursively, same rules),
  new names are appended after the shared ones, shared items keep their order;
- every other list (extraArgs, tolerations, accessModes, ...) and every scalar is replaced whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from modelfleet.load.source_yaml import Path_, Position, YamlDocument


@dataclass(frozen=True)
class Origin:
    """A subtree taken unchanged from one document, at `path` inside it."""

    document: YamlDocument
    path: Path_

    def child(self, key: str | int) -> "Origin":
        return Origin(self.document, self.path + (key,))

    def position(self, rest: Path_ = ()) -> Position:
        """Position of `path + rest`, or of its deepest ancestor that exists in the document."""
        full = self.path + tuple(rest)
        positions = self.document.positions
        for end in range(len(full), -1, -1):
            found = positions.get(full[:end])
            if found is not None:
                return found
        raise KeyError("a document always has the position of its root")


@dataclass(frozen=True)
class MergedNode:
    """A mapping or list built from both documents; children say where each entry came from."""

    origin: Origin
    children: dict[str | int, "Provenance"] = field(default_factory=dict)
    nulls: tuple[str, ...] = ()
    """Keys the stack file set to null here: removed from the data, still checked to be known fields."""


Provenance = Union[Origin, MergedNode]


def _source(provenance: Provenance, path: Path_) -> tuple[Origin, Path_]:
    """The document a path of the merged data was written in, and the path's remainder below that subtree (which
    may not exist in the document: a missing field is located at its nearest existing ancestor)."""
    node = provenance
    for depth, key in enumerate(path):
        if isinstance(node, Origin):
            return node, path[depth:]
        child = node.children.get(key)
        if child is None:
            return node.origin, path[depth:]
        node = child
    return (node, ()) if isinstance(node, Origin) else (node.origin, ())


def locate(provenance: Provenance, path: Path_) -> Position:
    """Source position of a path in the merged data (the nearest existing ancestor for missing fields)."""
    origin, rest = _source(provenance, path)
    return origin.position(rest)


def source_path(provenance: Provenance, path: Path_) -> Path_:
    """`path` of the merged data as written in the file it comes from: list indexes are those of that file
    (the first model of a stack file is models[0] there, whatever the shared file holds), and the config key
    loses its namespace (`config.modelfleet:models` -> `models`)."""
    origin, rest = _source(provenance, path)
    written = origin.path + tuple(rest)
    if written[:1] != ("config",) or len(written) < 2:
        return path  # not a stack file's config: the merged path is all there is
    return (str(written[1]).partition(":")[2],) + written[2:]


def _is_named_list(value: Any) -> bool:
    """Items all mappings with a string name (any other name is left to the spec to report)."""
    return isinstance(value, list) and all(isinstance(item, dict) and isinstance(item.get("name"), str) for item in value)


def merge(base: Any, base_origin: Origin, over: Any, over_origin: Origin) -> tuple[Any, Provenance]:
    """Merge `over` onto `base` (see module docstring); returns the data and its provenance."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged: dict[str, Any] = {}
        children: dict[str | int, Provenance] = {}
        for key, value in base.items():
            if key not in over:
                merged[key], children[key] = value, base_origin.child(key)
            elif over[key] is not None:
                merged[key], children[key] = merge(value, base_origin.child(key), over[key], over_origin.child(key))
        for key, value in over.items():
            if key not in base and value is not None:
                merged[key], children[key] = value, over_origin.child(key)
        nulls = tuple(key for key, value in over.items() if value is None)
        return merged, MergedNode(over_origin, children, nulls)
    if _is_named_list(base) and _is_named_list(over) and over:
        first_by_name: dict[str, int] = {}
        for index, item in enumerate(over):
            first_by_name.setdefault(item["name"], index)
        merged_into_base: set[int] = set()
        items: list[Any] = []
        children = {}
        for index, item in enumerate(base):
            at = first_by_name.get(item["name"])
            if at is None:
                value, prov = item, base_origin.child(index)
            else:
                merged_into_base.add(at)
                value, prov = merge(item, base_origin.child(index), over[at], over_origin.child(at))
            children[len(items)] = prov
            items.append(value)
        for index, item in enumerate(over):
            if index not in merged_into_base:  # new names, and repeated names (reported as duplicates later)
                children[len(items)] = over_origin.child(index)
                items.append(item)
        return items, MergedNode(over_origin, children)
    return over, over_origin
