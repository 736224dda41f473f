"""Objects added, removed and changed between two sides, and for a changed object its changed fields.

Objects are matched by API group, kind, namespace and name (not version, so an apiVersion bump is a change
of one field). Lists of named items (containers, env, volumes, ports, tolerations, Ray worker groups) are
matched by their name field, so inserting an env var shows as one added item, not every later item changed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any


class _Absent:
    """A field missing on one side (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()
# Fields that name the items of a list, in order of preference: a list is matched by the first one every
# item on both sides carries, with no value repeated on either side.
ITEM_NAME_FIELDS = ("name", "groupName", "key", "containerPort", "mountPath", "devicePath")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True, order=True)
class ObjectKey:
    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: dict) -> "ObjectKey":
        metadata = obj.get("metadata") or {}
        return cls(str(obj.get("apiVersion", "")).rpartition("/")[0], str(obj.get("kind", "")), str(metadata.get("namespace") or ""), str(metadata.get("name", "")))

    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any  # ABSENT when the field is new
    new: Any  # ABSENT when the field was removed


@dataclass(frozen=True)
class ObjectChange:
    key: ObjectKey
    status: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()


def _child(path: str, key: Any) -> str:
    if isinstance(key, str) and _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'


def _item_name_field(old: list, new: list) -> str | None:
    if not old and not new or not all(isinstance(item, dict) for item in old + new):
        return None
    for field in ITEM_NAME_FIELDS:
        if all(field in item for item in old + new):
            if all(len({repr(item[field]) for item in side}) == len(side) for side in (old, new)):
                return field
    return None


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """The leaf changes from `old` to `new`, in a stable order."""
    if old == new and type(old) is type(new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new), key=str):
            changes += field_changes(old.get(key, ABSENT), new.get(key, ABSENT), _child(path, key))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        field = _item_name_field(old, new)
        if field is not None:
            before = {repr(item[field]): item for item in old}
            after = {repr(item[field]): item for item in new}
            order = [key for key in before] + [key for key in after if key not in before]
            changes = []
            for key in order:
                label = f"{path}[{field}={after.get(key, before.get(key))[field]}]"
                changes += field_changes(before.get(key, ABSENT), after.get(key, ABSENT), label)
            return changes
        if len(old) == len(new):
            return [change for index, (a, b) in enumerate(zip(old, new)) for change in field_changes(a, b, f"{path}[{index}]")]
        if not any(isinstance(item, (dict, list)) for item in old + new):
            return _scalar_list_changes(old, new, path)
    return [FieldChange(path, old, new)]


def _scalar_list_changes(old: list, new: list, path: str) -> list[FieldChange]:
    """Items inserted or deleted in a list of scalars (args, command): removed at their old index, added at
    their new one. A run replaced by one of another length is shown as the whole list changing."""
    changes = []
    for operation, old_start, old_end, new_start, new_end in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if operation == "delete":
            changes += [FieldChange(f"{path}[{index}]", old[index], ABSENT) for index in range(old_start, old_end)]
        elif operation == "insert":
            changes += [FieldChange(f"{path}[{index}]", ABSENT, new[index]) for index in range(new_start, new_end)]
        elif operation == "replace" and old_end - old_start == new_end - new_start:
            changes += [FieldChange(f"{path}[{new_start + offset}]", old[old_start + offset], new[new_start + offset]) for offset in range(old_end - old_start)]
        elif operation == "replace":
            return [FieldChange(path, old, new)]
    return changes


def object_changes(base: list[dict], head: list[dict]) -> list[ObjectChange]:
    """Every object added, removed or changed, sorted by kind, namespace and name."""
    before = {ObjectKey.of(obj): obj for obj in base}
    after = {ObjectKey.of(obj): obj for obj in head}
    changes = []
    for key in sorted(set(before) | set(after), key=lambda key: (key.kind, key.namespace, key.name, key.group)):
        if key not in before:
            changes.append(ObjectChange(key, "added"))
        elif key not in after:
            changes.append(ObjectChange(key, "removed"))
        else:
            fields = field_changes(before[key], after[key])
            if fields:
                changes.append(ObjectChange(key, "changed", tuple(fields)))
    return changes
