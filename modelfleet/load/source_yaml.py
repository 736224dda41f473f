"""YAML loading that keeps the source position of every node.

``load_yaml`` parses one YAML document with PyYAML's composer (the libyaml C
parser when available) and builds plain Python data from the node tree itself,
so that:

* every node's ``file:line:col`` is recorded (``YamlDocument.positions`` and
  ``YamlDocument.value_positions``, keyed by the node's path tuple);
* scalars are resolved with the YAML 1.2 core schema (``yes``/``on``/``no``
  stay strings; only ``true``/``false`` are booleans);
* duplicate keys, complex keys, merge keys (``<<``), unknown tags, multiple
  documents, recursive aliases and syntax errors are reported as
  ``SourceProblem`` s (all of them, in file order) via ``YamlSourceError``
  instead of being silently accepted or raising a traceback.

``load_yaml_documents`` reads a multi-document stream (``---``) the same way,
one ``YamlDocument`` per document.

Plain text (no tag, anchor, alias, duplicate, merge or complex key, within the limits) is first read by a fast
path that builds the data straight from the C parser's events; its positions are computed on first use, from
the events again (only a problem or a finding needs them). Anything else goes to the positioned reader, which
builds the same data or reports the problems.

Hostile input is refused before it costs seconds or gigabytes: the file size is checked before reading, and
the node count (alias expansions included), the nesting depth and the length of one scalar while composing,
before anything is expanded (``YamlLimits``; each limit is raised by an environment variable that its error
message names).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml
from yaml.composer import Composer
from yaml.events import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
                         SequenceStartEvent, StreamEndEvent)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

__all__ = [
    "Path_",
    "Position",
    "SourceProblem",
    "YamlDocument",
    "YamlLimits",
    "YamlSourceError",
    "format_path",
    "load_yaml",
    "load_yaml_documents",
    "load_yaml_documents_file",
    "load_yaml_file",
]

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """A 1-based source position; ``file`` is kept exactly as given by the caller."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class SourceProblem:
    position: Position
    path: str  # dotted path, "" at the root
    message: str  # one line, includes how to fix

    def __str__(self) -> str:
        if self.path:
            return f"{self.position}: {self.path}: {self.message}"
        return f"{self.position}: {self.message}"


class YamlDocument:
    """A document's plain data and where each of its nodes was written.

    ``positions``: the KEY for a mapping entry, the start of the item for a sequence item, the root node for ().
    ``value_positions``: the VALUE node of every mapping entry / sequence item (and of the root, under ()).
    A document read by the fast path computes both on first use, by reading its text again with positions:
    they are only needed to report a problem or a finding, and recording them costs more than the parse."""

    __slots__ = ("data", "_positions", "_value_positions", "_locate")

    def __init__(self, data: Any, positions: dict[Path_, Position] | None = None, value_positions: dict[Path_, Position] | None = None,
                 locate: Callable[[], tuple[dict[Path_, Position], dict[Path_, Position]]] | None = None):
        self.data = data
        self._positions = positions if positions is not None or locate else {}
        self._value_positions = value_positions if value_positions is not None or locate else {}
        self._locate = locate

    def _fill(self) -> None:
        (self._positions, self._value_positions), self._locate = self._locate(), None

    @property
    def positions(self) -> dict[Path_, Position]:
        if self._positions is None:
            self._fill()
        return self._positions

    @property
    def value_positions(self) -> dict[Path_, Position]:
        if self._value_positions is None:
            self._fill()
        return self._value_positions

    def position_of(self, path: Path_) -> Position:
        """Position of ``path``, or of its nearest recorded ancestor (e.g. for a missing key)."""
        positions = self.positions
        for end in range(len(path), -1, -1):
            pos = positions.get(tuple(path[:end]))
            if pos is not None:
                return pos
        # Only possible for a document built by hand without a root entry.
        return Position(next(iter(positions.values())).file if positions else "<unknown>", 1, 1)

    def value_position_of(self, path: Path_) -> Position:
        """Position of the value at ``path`` (falls back like ``position_of``)."""
        pos = self.value_positions.get(tuple(path))
        return pos if pos is not None else self.position_of(path)


class YamlSourceError(Exception):
    """Raised with every problem found in a YAML source, in file order."""

    def __init__(self, problems: list[SourceProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_path(path: Path_) -> str:
    """``("models", 2, "name")`` -> ``"models[2].name"``; ``()`` -> ``""``."""
    parts: list[str] = []
    for element in path:
        if isinstance(element, int) and not isinstance(element, bool):
            parts.append(f"[{element}]")
        elif parts:
            parts.append(f".{element}")
        else:
            parts.append(str(element))
    return "".join(parts)


@dataclass(frozen=True)
class YamlLimits:
    """What one YAML file may cost; each field is read from the environment variable named in its error."""

    max_bytes: int = 4 * 1024 * 1024
    max_nodes: int = 50_000  # scalars, mappings and sequences, every alias expansion counted again
    max_depth: int = 64
    max_scalar: int = 256 * 1024  # characters of one scalar

    VARIABLES = {
        "max_bytes": "MODELFLEET_YAML_MAX_BYTES",
        "max_nodes": "MODELFLEET_YAML_MAX_NODES",
        "max_depth": "MODELFLEET_YAML_MAX_DEPTH",
        "max_scalar": "MODELFLEET_YAML_MAX_SCALAR",
    }

    @classmethod
    def from_environment(cls) -> "YamlLimits":
        """The defaults, each replaced by its environment variable when that holds a positive whole number."""
        values = {}
        for name, variable in cls.VARIABLES.items():
            text = os.environ.get(variable, "")
            if text.isdigit() and int(text) > 0:
                values[name] = int(text)
        return cls(**values)

    def exceeded(self, name: str, what: str) -> str:
        """The message for a limit exceeded: what, the limit, and how to raise it."""
        return f"{what}, more than the limit of {getattr(self, name)}; if the file is legitimate, raise it with {self.VARIABLES[name]}"


class _LimitExceeded(Exception):
    def __init__(self, mark: Any, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


# --------------------------------------------------------------------------
# Loader: PyYAML composer with a resolver that only marks plain untagged
# scalars, so we can apply the YAML 1.2 core schema ourselves and still see
# explicit tags (``!!str 3`` keeps tag str, ``3`` gets _PLAIN).

_STD = "tag:yaml.org,2002:"
_STR = _STD + "str"
_INT = _STD + "int"
_FLOAT = _STD + "float"
_BOOL = _STD + "bool"
_NULL = _STD + "null"
_MAP = _STD + "map"
_SEQ = _STD + "seq"
_MERGE = _STD + "merge"
_PLAIN = "tag:modelfleet,2024:plain"  # internal marker, never user-visible


def _make_loader(base: type) -> type:
    class _PositionLoader(base):  # type: ignore[valid-type, misc]
        """Composes with PyYAML's Python composer (over the C parser's events where available, as fast as the C
        composer) so that nodes, depth and scalar lengths are counted as they are read."""

        limits = YamlLimits()

        get_single_node = Composer.get_single_node
        check_node = Composer.check_node
        get_node = Composer.get_node
        compose_document = Composer.compose_document
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

        def __init__(self, stream):
            super().__init__(stream)
            self.anchors = {}
            self.composed = 0
            self.depth = 0

        def compose_node(self, parent, index):
            event = self.peek_event()
            limits = self.limits
            self.composed += 1
            if self.composed > limits.max_nodes:
                raise _LimitExceeded(event.start_mark, limits.exceeded("max_nodes", "too many YAML nodes"))
            if type(event) is ScalarEvent and len(event.value) > limits.max_scalar:
                raise _LimitExceeded(event.start_mark, limits.exceeded("max_scalar", f"a scalar of {len(event.value)} characters"))
            if type(event) is AliasEvent:
                return Composer.compose_node(self, parent, index)
            self.depth += 1
            if self.depth > limits.max_depth:
                raise _LimitExceeded(event.start_mark, limits.exceeded("max_depth", f"nesting deeper than {limits.max_depth} levels"))
            node = Composer.compose_node(self, parent, index)
            self.depth -= 1
            return node

        def resolve(self, kind, value, implicit):  # noqa: D401 - PyYAML hook
            if kind is ScalarNode:
                return _PLAIN if implicit[0] else _STR
            if kind is SequenceNode:
                return _SEQ
            return _MAP

    _PositionLoader.__name__ = f"_Position{base.__name__}"
    return _PositionLoader


_PY_LOADER = _make_loader(yaml.SafeLoader)
_C_LOADER = _make_loader(yaml.CSafeLoader) if getattr(yaml, "__with_libyaml__", False) else None
_DEFAULT_LOADER = _C_LOADER or _PY_LOADER
_C_PARSER = yaml.cyaml.CParser if _C_LOADER is not None else None


# --------------------------------------------------------------------------
# YAML 1.2 core schema.

_MISSING = object()
_PLAIN_WORDS: dict[str, Any] = {
    "null": None, "Null": None, "NULL": None, "~": None,
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}
for _sign, _mult in (("", 1.0), ("+", 1.0), ("-", -1.0)):
    for _inf in (".inf", ".Inf", ".INF"):
        _PLAIN_WORDS[_sign + _inf] = _mult * math.inf
_NUMBER_START = frozenset("0123456789+-.")
_INT_RE = re.compile(r"[-+]?[0-9]+")
_OCT_RE = re.compile(r"0o[0-7]+")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULL_WORDS = frozenset(("", "null", "Null", "NULL", "~"))
_BOOL_WORDS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _resolve_plain(value: str) -> Any:
    """Core-schema resolution of a plain (unquoted, untagged) scalar."""
    if not value:
        return None
    word = _PLAIN_WORDS.get(value, _MISSING)
    if word is not _MISSING:
        return word
    if value[0] in _NUMBER_START:
        if _INT_RE.fullmatch(value):
            return int(value)
        if _FLOAT_RE.fullmatch(value):
            return float(value)
        if _HEX_RE.fullmatch(value):
            return int(value[2:], 16)
        if _OCT_RE.fullmatch(value):
            return int(value[2:], 8)
    return value


def _parse_int(value: str) -> Any:
    if _INT_RE.fullmatch(value):
        return int(value)
    if _HEX_RE.fullmatch(value):
        return int(value[2:], 16)
    if _OCT_RE.fullmatch(value):
        return int(value[2:], 8)
    return _MISSING


def _parse_float(value: str) -> Any:
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    word = _PLAIN_WORDS.get(value, _MISSING)
    if isinstance(word, float):
        return word
    return _MISSING


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------
# Tree builder.

class _TooManyNodes(Exception):
    pass


class _Builder:
    def __init__(self, file: str, limits: YamlLimits):
        self.file = file
        self.limits = limits
        self.positions: dict[Path_, Position] = {}
        self.value_positions: dict[Path_, Position] = {}
        # (line, column, path tuple, message); paths formatted only at the end
        self.problems: list[tuple[int, int, Path_, str]] = []
        self.active: set[int] = set()  # ids of collections being built (recursive alias guard)
        self.count = 0

    def problem(self, mark: Any, path: Path_, message: str) -> None:
        self.problems.append((mark.line + 1, mark.column + 1, path, message))

    def build_root(self, node: Any) -> Any:
        mark = node.start_mark
        pos = Position(self.file, mark.line + 1, mark.column + 1)
        self.positions[()] = pos
        self.value_positions[()] = pos
        return self.build(node, ())

    def build(self, node: Any, path: Path_) -> Any:
        if type(node) is ScalarNode:
            return self.scalar(node, path)
        if type(node) is MappingNode:
            return self.mapping(node, path)
        return self.sequence(node, path)

    # -- scalars -----------------------------------------------------------
    def scalar(self, node: ScalarNode, path: Path_) -> Any:
        tag = node.tag
        value = node.value
        if tag == _PLAIN:
            return _resolve_plain(value)
        if tag == _STR:
            return value
        if tag == _INT:
            result = _parse_int(value)
            if result is _MISSING:
                self.problem(node.start_mark, path, f"'{value}' is not a valid !!int; write an integer like 42, 0x2a or 0o52, or drop the tag")
                return value
            return result
        if tag == _FLOAT:
            result = _parse_float(value)
            if result is _MISSING:
                self.problem(node.start_mark, path, f"'{value}' is not a valid !!float; write a number like 1.5, 1e3 or .inf, or drop the tag")
                return value
            return result
        if tag == _BOOL:
            result = _BOOL_WORDS.get(value, _MISSING)
            if result is _MISSING:
                self.problem(node.start_mark, path, f"'{value}' is not a valid !!bool; write true or false")
                return value
            return result
        if tag == _NULL:
            if value not in _NULL_WORDS:
                self.problem(node.start_mark, path, f"'{value}' is not a valid !!null; write null, ~ or nothing")
                return value
            return None
        if tag == _MAP or tag == _SEQ:
            kind = "a mapping" if tag == _MAP else "a sequence"
            self.problem(node.start_mark, path, f"tag {_tag_name(tag)} used on a scalar, which is not {kind}; remove the tag")
            return value
        self.unsupported_tag(node, path)
        return value

    def unsupported_tag(self, node: Any, path: Path_) -> None:
        self.problem(
            node.start_mark,
            path,
            f"unsupported tag '{_tag_name(node.tag)}'; remove it (only plain YAML values and the "
            "standard tags !!str !!int !!float !!bool !!null !!map !!seq are allowed)",
        )

    def check_collection_tag(self, node: Any, path: Path_, expected: str) -> None:
        tag = node.tag
        if tag == expected:
            return
        if tag in (_MAP, _SEQ, _STR, _INT, _FLOAT, _BOOL, _NULL):
            kind = "mapping" if expected == _MAP else "sequence"
            self.problem(node.start_mark, path, f"tag {_tag_name(tag)} cannot be used on a {kind}; remove the tag")
        else:
            self.unsupported_tag(node, path)

    # -- collections ---------------------------------------------------------
    def enter(self, node: Any, path: Path_, report_mark: Any) -> bool:
        key = id(node)
        if key in self.active:
            self.problem(report_mark, path, "recursive alias: this node contains itself; remove the alias cycle")
            return False
        self.count += len(node.value)
        if self.count > self.limits.max_nodes:
            what = "aliases expand the document to too many nodes"
            self.problem(report_mark, path, self.limits.exceeded("max_nodes", what) + ", or write fewer aliases")
            raise _TooManyNodes
        self.active.add(key)
        return True

    def mapping(self, node: MappingNode, path: Path_, report_mark: Any = None) -> Any:
        if not self.enter(node, path, report_mark or node.start_mark):
            return None
        if node.tag != _MAP:
            self.check_collection_tag(node, path, _MAP)
        file = self.file
        positions = self.positions
        value_positions = self.value_positions
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                kind = "mapping" if type(key_node) is MappingNode else "sequence"
                self.problem(key_node.start_mark, path, f"a {kind} cannot be used as a mapping key; use a plain string key")
                continue
            key = key_node.value
            key_tag = key_node.tag
            key_mark = key_node.start_mark
            if key_tag != _PLAIN and key_tag != _STR:
                if key_tag == _MERGE:
                    key = "<<"
                else:
                    if key_tag in (_INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ):
                        self.problem(key_mark, path + (key,), f"mapping keys are strings; remove the {_tag_name(key_tag)} tag from key '{key}'")
                    else:
                        self.unsupported_tag(key_node, path + (key,))
                    continue
            if key == "<<" and key_tag != _STR:
                self.problem(key_mark, path, "merge keys ('<<') are not supported; write the keys out")
                continue
            key_path = path + (key,)
            if key in result:
                first = positions[key_path]
                self.problem(key_mark, key_path, f"duplicate key '{key}' (first at line {first.line}); remove one of them")
                continue
            positions[key_path] = Position(file, key_mark.line + 1, key_mark.column + 1)
            value_mark = value_node.start_mark
            value_positions[key_path] = Position(file, value_mark.line + 1, value_mark.column + 1)
            value_type = type(value_node)
            if value_type is ScalarNode:
                if value_node.tag == _PLAIN:
                    result[key] = _resolve_plain(value_node.value)
                else:
                    result[key] = self.scalar(value_node, key_path)
            elif value_type is MappingNode:
                result[key] = self.mapping(value_node, key_path, key_mark)
            else:
                result[key] = self.sequence(value_node, key_path, key_mark)
        self.active.discard(id(node))
        return result

    def sequence(self, node: SequenceNode, path: Path_, report_mark: Any = None) -> Any:
        if not self.enter(node, path, report_mark or node.start_mark):
            return None
        if node.tag != _SEQ:
            self.check_collection_tag(node, path, _SEQ)
        file = self.file
        positions = self.positions
        value_positions = self.value_positions
        result: list[Any] = []
        append = result.append
        for index, item in enumerate(node.value):
            item_path = path + (index,)
            mark = item.start_mark
            pos = Position(file, mark.line + 1, mark.column + 1)
            positions[item_path] = pos
            value_positions[item_path] = pos
            item_type = type(item)
            if item_type is ScalarNode:
                if item.tag == _PLAIN:
                    append(_resolve_plain(item.value))
                else:
                    append(self.scalar(item, item_path))
            elif item_type is MappingNode:
                append(self.mapping(item, item_path))
            else:
                append(self.sequence(item, item_path))
        self.active.discard(id(node))
        return result

    def finish(self) -> list[SourceProblem]:
        file = self.file
        ordered = sorted(self.problems, key=lambda p: (p[0], p[1]))
        return [SourceProblem(Position(file, line, column), format_path(path), message) for line, column, path, message in ordered]


# --------------------------------------------------------------------------
# Fast path: plain data straight from the C parser's events, no positions.

class _NotPlain(Exception):
    """The text holds something only the positioned reader handles (or reports): a tag, an anchor or alias, a
    complex, merge or duplicate key, a limit exceeded, a syntax error, several documents where one is expected."""


def _fast_documents(text: str, limits: YamlLimits, single: bool) -> list[Any] | None:
    """The data of every document of `text` when it is plain YAML within the limits, exactly as the positioned
    reader builds it; None when it is not, so that the positioned reader reads it again and reports why."""
    if _C_PARSER is None:
        return None
    parser = None
    try:
        parser = _C_PARSER(text)
        return _documents_from_events(parser.get_event, limits, single)
    except (_NotPlain, yaml.YAMLError):
        return None
    finally:
        if parser is not None:
            parser.dispose()


def _documents_from_events(next_event: Callable[[], Any], limits: YamlLimits, single: bool) -> list[Any]:
    max_nodes, max_depth, max_scalar = limits.max_nodes, limits.max_depth, limits.max_scalar
    plain_values: dict[str, Any] = {}  # plain scalars repeat (names, sizes, flags): resolve each text once
    documents: list[Any] = []
    nodes = 0
    next_event()  # StreamStartEvent
    while True:
        kind = type(next_event())
        if kind is StreamEndEvent:
            break
        if kind is not DocumentStartEvent or (single and documents):
            raise _NotPlain
        # containers[i] is an open mapping or list; keys[i] the pending key of a mapping (_MISSING: a key is next)
        containers: list[Any] = []
        keys: list[Any] = []
        root: Any = _MISSING
        while True:
            event = next_event()
            kind = type(event)
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                containers.pop()
                keys.pop()
                continue
            if kind is DocumentEndEvent:
                break
            if kind is AliasEvent:  # the positioned reader expands it within the limits
                raise _NotPlain
            nodes += 1
            if nodes > max_nodes or len(containers) >= max_depth or event.anchor is not None or (event.tag is not None and event.tag != "!"):
                raise _NotPlain
            if kind is ScalarEvent:
                text = event.value
                if len(text) > max_scalar:
                    raise _NotPlain
                if containers and keys[-1] is _MISSING and type(containers[-1]) is dict:
                    if text in containers[-1] or (text == "<<" and event.implicit[0]):
                        raise _NotPlain
                    keys[-1] = text
                    continue
                if event.implicit[0]:
                    value = plain_values.get(text, _MISSING)
                    if value is _MISSING:
                        value = plain_values[text] = _resolve_plain(text)
                else:
                    value = text
            elif kind is MappingStartEvent:
                value = {}
            else:
                value = []
            if not containers:
                root = value
            elif type(containers[-1]) is dict:
                if keys[-1] is _MISSING:  # a mapping or a sequence as a key
                    raise _NotPlain
                containers[-1][keys[-1]] = value
                keys[-1] = _MISSING
            else:
                containers[-1].append(value)
            if kind is not ScalarEvent:
                containers.append(value)
                keys.append(_MISSING)
        documents.append(root)
    return documents


def _positions_from_events(text: str, file: str) -> list[tuple[dict[Path_, Position], dict[Path_, Position]]]:
    """`positions` and `value_positions` of every document of a text the fast path read, from the parser's
    events alone: what the positioned reader records for it, at a fraction of its cost (no nodes, no data)."""
    parser = _C_PARSER(text)
    try:
        next_event = parser.get_event
        found = []
        next_event()  # StreamStartEvent
        while type(next_event()) is DocumentStartEvent:
            positions: dict[Path_, Position] = {}
            value_positions: dict[Path_, Position] = {}
            # paths[i]: the path of the open collection i; keys[i]: the pending key of a mapping, else the next index
            paths: list[Path_] = []
            keys: list[Any] = []
            mappings: list[bool] = []
            while True:
                event = next_event()
                kind = type(event)
                if kind is MappingEndEvent or kind is SequenceEndEvent:
                    paths.pop()
                    keys.pop()
                    mappings.pop()
                    continue
                if kind is DocumentEndEvent:
                    break
                mark = event.start_mark
                if not paths:
                    path: Path_ = ()
                    positions[path] = value_positions[path] = Position(file, mark.line + 1, mark.column + 1)
                elif mappings[-1]:
                    if keys[-1] is _MISSING:
                        keys[-1] = event.value
                        positions[paths[-1] + (event.value,)] = Position(file, mark.line + 1, mark.column + 1)
                        continue
                    path = paths[-1] + (keys[-1],)
                    value_positions[path] = Position(file, mark.line + 1, mark.column + 1)
                    keys[-1] = _MISSING
                else:
                    path = paths[-1] + (keys[-1],)
                    positions[path] = value_positions[path] = Position(file, mark.line + 1, mark.column + 1)
                    keys[-1] += 1
                if kind is MappingStartEvent or kind is SequenceStartEvent:
                    paths.append(path)
                    mappings.append(kind is MappingStartEvent)
                    keys.append(_MISSING if kind is MappingStartEvent else 0)
            found.append((positions, value_positions))
        return found
    finally:
        parser.dispose()


# --------------------------------------------------------------------------
# Public API.


def _syntax_problem(error: yaml.YAMLError, text: str, file: str, c_loader: bool) -> SourceProblem:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        if error.problem == "but found another document":
            message = "more than one YAML document ('---') in this file; keep exactly one document per file"
        else:
            message = f"invalid YAML: {_one_line(error.problem or error.context or 'syntax error')}"
            if error.problem and error.context:
                message += f" ({_one_line(error.context)}"
                if error.context_mark is not None:
                    message += f" at line {error.context_mark.line + 1}"
                message += ")"
            message += "; fix the syntax"
        return SourceProblem(Position(file, line, column), "", message)
    if isinstance(error, yaml.reader.ReaderError):
        # The C reader reports a byte offset into the UTF-8 text, the Python one a character index.
        if c_loader:
            prefix = text.encode("utf-8")[: error.position].decode("utf-8", "ignore")
        else:
            prefix = text[: error.position]
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        character = error.character
        shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
        message = f"invalid YAML: {_one_line(error.reason)} (found {shown}); remove the character or write it as an escape in a double-quoted string"
        return SourceProblem(Position(file, line, column), "", message)
    return SourceProblem(Position(file, 1, 1), "", f"invalid YAML: {_one_line(str(error))}; fix the syntax")


def _build(root: Any, file: str, limits: YamlLimits, expanded: int = 0) -> tuple[YamlDocument, int]:
    """Plain data and positions from one composed document (None for an empty one), and the node count so far
    (`expanded`: of the earlier documents of the same file, which share the limit)."""
    if root is None:
        pos = Position(file, 1, 1)
        return YamlDocument(None, {(): pos}, {(): pos}), expanded
    builder = _Builder(file, limits)
    builder.count = expanded
    try:
        data = builder.build_root(root)
    except _TooManyNodes:
        data = None
    except RecursionError:
        builder.problems.append((1, 1, (), "document is nested too deeply; flatten the structure"))
        data = None
    if builder.problems:
        raise YamlSourceError(builder.finish())
    return YamlDocument(data, builder.positions, builder.value_positions), builder.count


def _limit_problem(error: _LimitExceeded, file: str) -> SourceProblem:
    return SourceProblem(Position(file, error.mark.line + 1, error.mark.column + 1), "", error.message)


def _composer(text: str, loader: type, limits: YamlLimits) -> Any:
    composer = loader(text)
    composer.limits = limits
    return composer


def _check_size(size: int, file: str, limits: YamlLimits) -> None:
    if size > limits.max_bytes:
        message = limits.exceeded("max_bytes", f"the file has {size} bytes") + ", or split the file"
        raise YamlSourceError([SourceProblem(Position(file, 1, 1), "", message)])


def _load(text: str, file: str, loader: type, limits: YamlLimits) -> YamlDocument:
    _check_size(len(text), file, limits)
    if loader is _C_LOADER:
        fast = _fast_documents(text, limits, single=True)
        if fast:
            return YamlDocument(fast[0], locate=lambda: _positions_from_events(text, file)[0])
    return _load_positioned(text, file, loader, limits)


def _load_positioned(text: str, file: str, loader: type, limits: YamlLimits) -> YamlDocument:
    composer = None
    try:
        composer = _composer(text, loader, limits)
        root = composer.get_single_node()
    except _LimitExceeded as error:
        raise YamlSourceError([_limit_problem(error, file)]) from None
    except yaml.YAMLError as error:
        raise YamlSourceError([_syntax_problem(error, text, file, loader is _C_LOADER)]) from None
    except RecursionError:
        raise YamlSourceError([SourceProblem(Position(file, 1, 1), "", "document is nested too deeply; flatten the structure")]) from None
    finally:
        if composer is not None:
            composer.dispose()
    return _build(root, file, limits)[0]


def _load_all(text: str, file: str, loader: type, limits: YamlLimits) -> list[YamlDocument]:
    _check_size(len(text), file, limits)
    fast = _fast_documents(text, limits, single=False) if loader is _C_LOADER else None
    if fast is None:
        return _load_all_positioned(text, file, loader, limits)
    positioned: list[tuple[dict[Path_, Position], dict[Path_, Position]]] = []

    def locate(index: int) -> tuple[dict[Path_, Position], dict[Path_, Position]]:
        if not positioned:
            positioned.extend(_positions_from_events(text, file))
        return positioned[index]

    return [YamlDocument(data, locate=lambda index=index: locate(index)) for index, data in enumerate(fast)]


def _load_all_positioned(text: str, file: str, loader: type, limits: YamlLimits) -> list[YamlDocument]:
    documents: list[YamlDocument] = []
    problems: list[SourceProblem] = []
    composer = None
    expanded = 0
    try:
        composer = _composer(text, loader, limits)
        while composer.check_node():
            try:
                document, expanded = _build(composer.get_node(), file, limits, expanded)
                documents.append(document)
            except YamlSourceError as error:
                problems.extend(error.problems)
                if any(limits.VARIABLES["max_nodes"] in problem.message for problem in error.problems):
                    break  # the file's budget is spent: reading on would only cost more
    except _LimitExceeded as error:
        problems.append(_limit_problem(error, file))
    except yaml.YAMLError as error:  # a syntax error ends the stream: later documents cannot be read
        problems.append(_syntax_problem(error, text, file, loader is _C_LOADER))
    except RecursionError:
        problems.append(SourceProblem(Position(file, 1, 1), "", "document is nested too deeply; flatten the structure"))
    finally:
        if composer is not None:
            composer.dispose()
    if problems:
        raise YamlSourceError(problems)
    return documents


def load_yaml(text: str, file: str, limits: YamlLimits | None = None) -> YamlDocument:
    """Parse one YAML document from ``text``; ``file`` is used verbatim in positions.

    Raises ``YamlSourceError`` listing every problem (in file order)."""
    return _load(text, file, _DEFAULT_LOADER, limits or YamlLimits.from_environment())


def _read_text(path: Path, name: str, limits: YamlLimits) -> str:
    try:
        with path.open("rb") as handle:
            _check_size(os.fstat(handle.fileno()).st_size, name, limits)
            raw = handle.read(limits.max_bytes + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        raise YamlSourceError(
            [SourceProblem(Position(name, 1, 1), "", f"cannot read file: {_one_line(reason)}; check that the file exists and is readable")]
        ) from None
    _check_size(len(raw), name, limits)  # a file that grew, or a pipe
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        prefix = raw[: error.start].decode("utf-8", "ignore")
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        raise YamlSourceError(
            [SourceProblem(Position(name, line, column), "", "file is not valid UTF-8; save it with UTF-8 encoding")]
        ) from None


def load_yaml_file(path: Path | str, display_name: str | None = None, limits: YamlLimits | None = None) -> YamlDocument:
    """Read and parse ``path``; ``display_name`` (default ``str(path)``) goes into positions."""
    path = Path(path)
    name = str(path) if display_name is None else display_name
    limits = limits or YamlLimits.from_environment()
    return _load(_read_text(path, name, limits), name, _DEFAULT_LOADER, limits)


def load_yaml_documents(text: str, file: str, limits: YamlLimits | None = None) -> list[YamlDocument]:
    """Parse every document of a multi-document stream (``---`` separated), in order.

    Empty documents are kept (with ``data`` None). Raises ``YamlSourceError`` listing the problems of all
    documents; a syntax error stops the reading where it occurs. The limits apply to the whole stream."""
    return _load_all(text, file, _DEFAULT_LOADER, limits or YamlLimits.from_environment())


def load_yaml_documents_file(path: Path | str, display_name: str | None = None, limits: YamlLimits | None = None) -> list[YamlDocument]:
    """Read ``path`` and parse all its documents (see ``load_yaml_documents``)."""
    path = Path(path)
    name = str(path) if display_name is None else display_name
    limits = limits or YamlLimits.from_environment()
    return _load_all(_read_text(path, name, limits), name, _DEFAULT_LOADER, limits)
