"""The direct YAML writer: byte-identical to the PyYAML dumper it replaces, for rendered objects and adversarial
data, and actually used (not silently falling back) for what render writes."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelfleet.compile import compile_environments
from modelfleet.load.project import Project
from modelfleet.render import files
from modelfleet.render.yaml_text import BlockYamlWriter
from tests.conftest import ROOT

OBJECT_OPTIONS = {"allow_unicode": True, "width": 1 << 16}
KUSTOMIZATION_OPTIONS: dict = {}

ADVERSARIAL = [
    "", " ", "  ", "yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "On", "OFF", "null", "Null", "NULL", "~",
    "true", "True", "FALSE", "1e3", "1E3", "1.0e+3", "-1.5e-3", "0x1F", "0o17", "012", "0b101", "1_000", "1,000", "12:30",
    "190:20:30", "-12:30", ".inf", "-.inf", "+.INF", ".nan", ".NaN", "0", "-0", "+1", "1.", ".5", "1.5", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "=", "<<", " a", "a ", "a  b", "a: b", "a:b", "a:",
    "a #b", "a#b", "#a", "- a", "-a", "-", "--", "? a", "?a", "?", ": a", ":a", ":", ",a", "a,b", "[a", "a[b]", "]", "{",
    "a{b}", "}", "&a", "*a", "!a", "!!str", "|a", "|", ">a", ">", "'a", "a'b", "''", '"a', 'a"b', "%a", "@a", "`a", "---",
    "...", "--- a", "...a", "a\nb", "a\n", "a\n\n", "a\n\n\n", "\n", "\n\n", "\na", "\n\na\n", " a\nb", "  a\n  b\n",
    "a \nb", "a\n b", "a\nb ", "a\n\nb\n", "a\n#b", "a\n- b", "a\tb", "\t", "a\t", "é", "日本語", "\xa0", "a\xa0b",
    "\u2028", "a\u2029b", "\x85", "\ufeff", "\ufffe", "\U0001f600", "\x00", "\x7f", "\x1b", "\r", "\r\n", "a\rb",
    "a\\b", "\\n", "%", "a%b", "@", "a@b", "a!b", "a&b", "a*b", "a|b", "a>b", "a`b",
]


def reference(data: object, options: dict) -> str:
    """What the code before the direct writer wrote."""
    return yaml.dump(data, Dumper=files._Dumper, sort_keys=False, default_flow_style=False, **options)


@pytest.fixture(scope="module")
def rendered_objects() -> list[dict]:
    project = Project.at(ROOT)
    compiled = compile_environments(project, project.environments(), None)
    return [obj for item in compiled for obj in [*item.objects, *item.gitops_objects]]


def test_rendered_objects_are_byte_identical_and_take_the_fast_path(rendered_objects):
    assert len(rendered_objects) > 20
    for obj in rendered_objects:
        ordered = {key: obj[key] for key in files._TOP_LEVEL_ORDER if key in obj}
        ordered.update((key, obj[key]) for key in sorted(obj) if key not in ordered)
        expected = reference(ordered, OBJECT_OPTIONS)
        assert files.dump_object(obj) == expected
        assert files._OBJECT_YAML.fast_text(ordered) == expected, files.object_file_name(obj)


def test_literal_blocks_of_rendered_objects_take_the_fast_path(rendered_objects):
    """The multi-line strings (Ray serveConfigV2, runtime scripts) are the part most likely to fall back unnoticed."""
    expected = {id(obj): reference(obj, OBJECT_OPTIONS) for obj in rendered_objects}
    literal_objects = [obj for obj in rendered_objects if ": |" in expected[id(obj)] or "- |" in expected[id(obj)]]
    assert literal_objects
    assert all(files._OBJECT_YAML.fast_text(obj) == expected[id(obj)] for obj in literal_objects)


def test_kustomization_is_byte_identical_and_takes_the_fast_path(rendered_objects):
    objects = rendered_objects[:5]
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files.object_file_name(obj) for obj in objects),
    }
    expected = reference(kustomization, KUSTOMIZATION_OPTIONS)
    assert files._KUSTOMIZATION_YAML.fast_text(kustomization) == expected
    assert files.render_files("dev", objects)[files.KUSTOMIZATION] == "# Rendered by `modelfleet render`; do not edit.\n" + expected


@pytest.mark.parametrize("options", [OBJECT_OPTIONS, KUSTOMIZATION_OPTIONS], ids=["object", "kustomization"])
@pytest.mark.parametrize("text", ADVERSARIAL, ids=repr)
def test_adversarial_string_as_key_value_and_item(text, options):
    writer = BlockYamlWriter(files._Dumper, **options)
    for data in ({text: text}, {"k": {text: [text, {text: text}], "n": [[text], {}]}}, [text, [text, {"k": text}]], {"k": [text, {text: [text]}]}):
        assert writer.dump(data) == reference(data, options)


@pytest.mark.parametrize("options", [OBJECT_OPTIONS, KUSTOMIZATION_OPTIONS], ids=["object", "kustomization"])
@pytest.mark.parametrize("text", [
    "a" * 70_000, "a " * 35_000, "x" * 60_000 + " y", "'" * 40_000, "word " * 20,
    "k" * 127, "k" * 128, "k" * 129, "é" * 63, "é" * 64, "é" * 65, "a'" * 62, "a'" * 63, "a'" * 70,
    ("line of text " * 10 + "\n") * 3,
], ids=lambda text: f"{len(text)}:{text[:6]!r}")
def test_long_strings_as_key_and_value(text, options):
    writer = BlockYamlWriter(files._Dumper, **options)
    for data in ({text: 1}, {"k": text}, {"k": {"n": [{"m": text}]}}):
        assert writer.dump(data) == reference(data, options)


@pytest.mark.parametrize("value", [0, -7, 10**30, True, False, None, 0.0, -0.0, 1.5, -2.25, 1e17, 1e-7, 1e300 * 1e300, -1e300 * 1e300, float("nan"), 3.0, 0.1])
def test_other_scalars(value):
    writer = BlockYamlWriter(files._Dumper, **OBJECT_OPTIONS)
    data = {"k": value, "l": [value, {"m": value}], "z": -0.0, "o": 0.0}
    assert writer.fast_text(data) in (None, reference(data, OBJECT_OPTIONS))
    assert writer.dump(data) == reference(data, OBJECT_OPTIONS)


def test_outside_the_subset_falls_back_whole():
    writer = BlockYamlWriter(files._Dumper, **OBJECT_OPTIONS)
    for data in ({1: "a"}, {"k": "a\tb"}, {"k": "\U0001f600"}, {"k": "a\n\n"}, {"": 1}, {"k": (1, "a")}, {}, [], "text"):
        assert writer.dump(data) == reference(data, OBJECT_OPTIONS)
    assert writer.fast_text({1: "a"}) is None and writer.fast_text({"k": "a\tb"}) is None
    deep: object = "leaf"
    for _ in range(80):
        deep = {"k": [deep]}
    assert writer.fast_text(deep) is None and writer.dump(deep) == reference(deep, OBJECT_OPTIONS)


def test_repeated_sub_objects_are_written_in_full():
    shared = {"a": {"b": [[1], "x\ny"]}}
    data = {"k": [shared] * 3, "m": shared}
    assert files._OBJECT_YAML.fast_text(data) == reference(data, OBJECT_OPTIONS)


def test_unsupported_types_raise_like_the_dumper():
    writer = BlockYamlWriter(files._Dumper, **OBJECT_OPTIONS)
    with pytest.raises(yaml.representer.RepresenterError):
        writer.dump({"k": object()})


def test_refuses_a_dumper_writing_aliases():
    with pytest.raises(ValueError, match="aliases"):
        BlockYamlWriter(yaml.SafeDumper)


adversarial_strings = st.one_of(
    st.sampled_from(ADVERSARIAL),
    st.lists(st.sampled_from(ADVERSARIAL), max_size=4).map("".join),
    st.text(alphabet=st.sampled_from(list(" \n\t-:#?,[]{}'\"|>!&*%@`~.ab01eE_xé\xa0")), max_size=12),
    st.text(max_size=16),
)
scalars = st.one_of(adversarial_strings, st.integers(), st.booleans(), st.none(), st.floats())
keys = st.one_of(adversarial_strings, st.integers())
documents = st.recursive(scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4), max_leaves=24)


# Shared across examples, as in a render: later examples also go through decisions cached by earlier ones.
SHARED_WRITERS = {id(options): BlockYamlWriter(files._Dumper, **options) for options in (OBJECT_OPTIONS, KUSTOMIZATION_OPTIONS)}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=documents, options=st.sampled_from([OBJECT_OPTIONS, KUSTOMIZATION_OPTIONS]))
def test_any_json_like_data_is_byte_identical(data, options):
    assert SHARED_WRITERS[id(options)].dump(data) == reference(data, options)


plain_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789./-", min_size=1, max_size=16)
fast_documents = st.recursive(
    st.one_of(plain_words, st.integers(), st.booleans(), st.none()),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(plain_words, children, max_size=4),
    max_leaves=24,
).filter(lambda data: isinstance(data, (dict, list)) and bool(data))


@settings(max_examples=100, deadline=None)
@given(data=fast_documents)
def test_ordinary_data_takes_the_fast_path(data):
    """Names, numbers and flags like those of Kubernetes objects never fall back, those reading as another type
    ('123', '1e3', 'no', '...') included: the writer quotes them itself."""
    assert SHARED_WRITERS[id(OBJECT_OPTIONS)].fast_text(data) == reference(data, OBJECT_OPTIONS)
