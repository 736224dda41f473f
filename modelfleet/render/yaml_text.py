"""Block-style YAML text of plain JSON-like data, byte-identical to a PyYAML safe dumper, without PyYAML's cost.

PyYAML spends most of a dump in its Python representer, building a node object for every value. For the
common subset of data (dict, list, str, int, bool, None, float; str keys) this module writes the same text directly
by string building, deciding each distinct scalar once: keys and many values repeat across objects. The decision
asks the dumper's own representer (tag, requested style), resolver (would a plain scalar read back as the same
tag?) and PyYAML's scalar analysis (which styles the emitter allows), so only the layout is written here.

Whatever the fast path is not sure about sends the whole document to the dumper itself: characters where libyaml's
emitter (behind CSafeDumper) and PyYAML's analysis disagree or that need double quotes, complex keys, literal
blocks with keep chomping, scalars that could reach the line width, deep nesting, other types.
"""

from __future__ import annotations

import io
import re

import yaml
from yaml.emitter import Emitter
from yaml.nodes import ScalarNode

_STR_TAG = "tag:yaml.org,2002:str"
_INDENT = "  "
_MAX_DEPTH = 64
_MAX_KEY_TEXT = 128
# The column where a value's text starts is at most this: indentation, '- ', the key and ': '.
_MAX_VALUE_COLUMN = len(_INDENT) * _MAX_DEPTH + 2 + _MAX_KEY_TEXT + 2
_LIBYAML_DEFAULT_WIDTH = 80
_CACHE_LIMIT = 200_000
# Printable characters both emitters treat alike; '\n' only as the literal block's line break. Outside this set:
# tabs and control characters, NEL and the other line breaks, the BOM, and characters beyond the BMP (libyaml
# double-quotes those, PyYAML would not).
_UNSUPPORTED_ASCII = re.compile(r"[^\n\x20-\x7e]")
_UNSUPPORTED_UNICODE = re.compile(r"[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")


class _OutsideSubset(Exception):
    """The document holds something the fast path does not write; the dumper writes the whole of it."""


class BlockYamlWriter:
    """YAML text of one document as `yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False,
    allow_unicode=..., width=...)` writes it, for a safe dumper that ignores aliases and may ask for literal
    blocks ('|') through its str representer; faster for the subset, the dumper itself for the rest."""

    def __init__(self, dumper: type, *, allow_unicode: bool = False, width: int | None = None) -> None:
        self._dumper = dumper
        self._options = {"sort_keys": False, "default_flow_style": False, "allow_unicode": allow_unicode, "width": width}
        self._representer = dumper(io.StringIO(), **self._options)
        if not self._representer.ignore_aliases([]):
            raise ValueError(f"{dumper.__name__} writes anchors and aliases for repeated collections; the direct writer repeats them in full")
        self._analyzer = Emitter(None, allow_unicode=allow_unicode)
        self._unsupported_character = _UNSUPPORTED_UNICODE if allow_unicode else _UNSUPPORTED_ASCII
        self._spaced_value_budget = (width if width and width > 2 * len(_INDENT) else _LIBYAML_DEFAULT_WIDTH) - _MAX_VALUE_COLUMN
        self._keys: dict[str, str] = {}
        self._values: dict[str, str] = {}
        self._literals: dict[tuple[str, str], str] = {}
        self._ints: dict[int, str] = {}
        self._outside_keys: dict[str, None] = {}
        self._outside_values: dict[str, None] = {}
        self._constants = {value: self._scalar_value(self._representer.represent_data(value)) for value in (None, True, False)}

    def dump(self, data: object) -> str:
        """The YAML text of `data`."""
        text = self.fast_text(data)
        return text if text is not None else yaml.dump(data, Dumper=self._dumper, **self._options)

    def fast_text(self, data: object) -> str | None:
        """The YAML text of `data` written directly, or None when it is outside the subset the fast path is sure of."""
        out: list[str] = []
        try:
            if type(data) is dict and data:
                self._mapping(data, "", out, 0)
            elif type(data) is list and data:
                self._sequence(data, "", out, 0)
            else:
                return None
        except _OutsideSubset:
            return None
        out.append("\n")
        return "".join(out)

    def _mapping(self, mapping: dict, indent: str, out: list[str], depth: int) -> None:
        """A block mapping whose first key goes where the text stands now, the others on new lines at `indent`."""
        if depth >= _MAX_DEPTH:
            raise _OutsideSubset
        keys, values = self._keys, self._values
        line_start = "\n" + indent
        child_indent = indent + _INDENT
        first = True
        for key, value in mapping.items():
            key_text = keys.get(key) if type(key) is str else None
            if key_text is None:
                key_text = self._key(key)
            if first:
                out.append(key_text)
                first = False
            else:
                out.append(line_start + key_text)
            kind = type(value)
            if kind is str:
                out.append(values.get(value) or self._string_value(value, child_indent))
            elif kind is dict:
                if value:
                    out.append("\n" + child_indent)
                    self._mapping(value, child_indent, out, depth + 1)
                else:
                    out.append(" {}")
            elif kind is list:
                if value:
                    out.append(line_start)  # a sequence in a mapping is not indented
                    self._sequence(value, indent, out, depth + 1)
                else:
                    out.append(" []")
            else:
                out.append(self._other_value(value))

    def _sequence(self, sequence: list, indent: str, out: list[str], depth: int) -> None:
        """A block sequence whose first '-' goes where the text stands now, the others on new lines at `indent`;
        an item that is a collection starts on its '- ' line."""
        if depth >= _MAX_DEPTH:
            raise _OutsideSubset
        values = self._values
        line_start = "\n" + indent + "-"
        child_indent = indent + _INDENT
        first = True
        for item in sequence:
            if first:
                out.append("-")
                first = False
            else:
                out.append(line_start)
            kind = type(item)
            if kind is str:
                out.append(values.get(item) or self._string_value(item, child_indent))
            elif kind is dict:
                if item:
                    out.append(" ")
                    self._mapping(item, child_indent, out, depth + 1)
                else:
                    out.append(" {}")
            elif kind is list:
                if item:
                    out.append(" ")
                    self._sequence(item, child_indent, out, depth + 1)
                else:
                    out.append(" []")
            else:
                out.append(self._other_value(item))

    def _key(self, key: object) -> str:
        """'<key>:' of a str key that is a plain or single-quoted simple key."""
        if type(key) is not str or key in self._outside_keys:
            raise _OutsideSubset
        text = self._scalar_key(self._representer.represent_data(key))
        if text is None:
            _remember(self._outside_keys, key, None)
            raise _OutsideSubset
        return _remember(self._keys, key, text + ":")

    def _string_value(self, value: str, scalar_indent: str) -> str:
        """' <scalar>' of a str value; a literal block's lines go at `scalar_indent`."""
        literal = self._literals.get((value, scalar_indent))
        if literal is not None:
            return literal
        if value in self._outside_values:
            raise _OutsideSubset
        node = self._representer.represent_data(value)
        literal = node.style == "|"
        text = self._literal_value(node.value, scalar_indent) if literal else self._scalar_value(node)
        if text is None:
            _remember(self._outside_values, value, None)
            raise _OutsideSubset
        return _remember(self._literals, (value, scalar_indent), text) if literal else _remember(self._values, value, text)

    def _other_value(self, value: object) -> str:
        """' <scalar>' of a None, bool, int or float value (floats are not cached: 0.0 and -0.0 are equal keys)."""
        kind = type(value)
        if value is None or kind is bool:
            return self._constants[value]
        if kind is int:
            text = self._ints.get(value)
            if text is not None:
                return text
        elif kind is not float:
            raise _OutsideSubset
        text = self._scalar_value(self._representer.represent_data(value))
        if text is None:
            raise _OutsideSubset
        return _remember(self._ints, value, text) if kind is int else text

    def _plain_or_single_quoted(self, node: ScalarNode, simple_key: bool) -> str | None:
        """The scalar as the emitter would write it in block context, plain or single-quoted; None for anything else."""
        value = node.value
        if node.style is not None or self._unsupported_character.search(value):
            return None
        analysis = self._analyzer.analyze_scalar(value)
        if analysis.multiline or (simple_key and analysis.empty):
            return None
        if not analysis.empty and analysis.allow_block_plain and self._representer.resolve(ScalarNode, value, (True, False)) == node.tag:
            return value
        if analysis.allow_single_quoted and node.tag == _STR_TAG:
            return "'" + value.replace("'", "''") + "'"
        return None

    def _scalar_key(self, node: ScalarNode) -> str | None:
        """A simple key; long keys become complex '? ' keys (libyaml counts UTF-8 bytes, PyYAML characters)."""
        if len(node.value.encode("utf-8")) >= _MAX_KEY_TEXT:
            return None
        text = self._plain_or_single_quoted(node, simple_key=True)
        return text if text is not None and len(text) <= _MAX_KEY_TEXT else None

    def _scalar_value(self, node: ScalarNode) -> str | None:
        """' <scalar>' of a value; one with a space that could pass the line width would be folded there."""
        text = self._plain_or_single_quoted(node, simple_key=False)
        if text is None or (" " in text and len(text) > self._spaced_value_budget):
            return None
        return " " + text

    def _literal_value(self, value: str, scalar_indent: str) -> str | None:
        """' |' with its indentation and chomping indicators, then the lines at `scalar_indent` (empty lines bare);
        None for keep chomping ('|+', which can make libyaml end the document with '...') and what a literal
        block cannot hold."""
        if self._unsupported_character.search(value) or not self._analyzer.analyze_scalar(value).allow_block:
            return None
        indentation_indicator = "2" if value[0] in " \n" else ""
        if not value.endswith("\n"):
            chomping, body = "-", value
        elif len(value) == 1 or value[-2] == "\n":
            return None
        else:
            chomping, body = "", value[:-1]
        lines = "\n".join(scalar_indent + line if line else "" for line in body.split("\n"))
        return f" |{indentation_indicator}{chomping}\n{lines}"


def _remember(cache: dict, key: object, text: str | None) -> str | None:
    """Stores a decision, forgetting all of them first once the cache is large (a long-lived process renders on)."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = text
    return text
