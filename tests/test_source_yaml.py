import math
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import yaml

try:
    import modelfleet.load.source_yaml  # noqa: F401
except ModuleNotFoundError:  # running plain `pytest` without the project root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelfleet.load import source_yaml as sy
from modelfleet.load.source_yaml import (
    Position,
    SourceProblem,
    YamlDocument,
    YamlSourceError,
    format_path,
    load_yaml,
    load_yaml_file,
)

# Every behaviour is checked with the libyaml loader (when built) and the pure-Python one.
LOADERS = [pytest.param(sy._PY_LOADER, id="python")]
if sy._C_LOADER is not None:
    LOADERS.insert(0, pytest.param(sy._C_LOADER, id="libyaml"))


@pytest.fixture(params=LOADERS)
def load(request):
    def _load(text: str, file: str = "stacks/Pulumi.dev.yaml", limits: sy.YamlLimits = sy.YamlLimits()) -> YamlDocument:
        return sy._load(text, file, request.param, limits)

    return _load


def problems_of(load, text: str, file: str = "s.yaml") -> list[SourceProblem]:
    with pytest.raises(YamlSourceError) as info:
        load(text, file)
    return info.value.problems


def at(pos: Position) -> tuple[int, int]:
    return (pos.line, pos.column)


NESTED = """\
config:
  aws:region: us-east-1
  modelfleet:models:
    - name: llama
      replicas: 2
    - name: "mistral"
      ports: [8080, 9090]
"""
M = ("config", "modelfleet:models")


def test_nested_data_and_positions(load):
    doc = load(NESTED)
    assert doc.data == {
        "config": {
            "aws:region": "us-east-1",
            "modelfleet:models": [
                {"name": "llama", "replicas": 2},
                {"name": "mistral", "ports": [8080, 9090]},
            ],
        }
    }
    assert list(doc.data["config"]) == ["aws:region", "modelfleet:models"]
    p, v = doc.positions, doc.value_positions
    assert p[()] == Position("stacks/Pulumi.dev.yaml", 1, 1)
    # mapping entries: positions = the key, value_positions = the value
    assert at(p[("config",)]) == (1, 1)
    assert at(v[("config",)]) == (2, 3)
    assert at(p[("config", "aws:region")]) == (2, 3)
    assert at(v[("config", "aws:region")]) == (2, 15)
    assert at(p[M]) == (3, 3)
    assert at(v[M]) == (4, 5)  # the block sequence starts at its first '-'
    # sequence items: start of the item's content, same in both dicts
    assert at(p[M + (0,)]) == (4, 7)
    assert v[M + (0,)] == p[M + (0,)]
    assert at(p[M + (1,)]) == (6, 7)
    assert at(p[M + (0, "replicas")]) == (5, 7)
    assert at(v[M + (0, "replicas")]) == (5, 17)
    assert at(v[M + (1, "name")]) == (6, 13)  # the opening quote
    assert at(p[M + (1, "ports")]) == (7, 7)
    assert at(v[M + (1, "ports")]) == (7, 14)
    assert at(p[M + (1, "ports", 1)]) == (7, 21)
    # every node has a position
    assert len(p) == len(v) == 12


def test_position_of_falls_back_to_nearest_ancestor(load):
    doc = load(NESTED)
    assert doc.position_of(M + (0, "missing", "deeper")) == doc.positions[M + (0,)]
    assert doc.value_position_of(M + (0, "replicas")) == doc.value_positions[M + (0, "replicas")]


def test_columns_count_characters_not_bytes(load):
    doc = load("é: [x, y]\nñañ: {é: 1}\n")
    assert at(doc.value_positions[("ñañ",)]) == (2, 6)
    assert at(doc.positions[("ñañ", "é")]) == (2, 7)


def test_file_name_is_kept_as_given(load):
    doc = load("a: 1\n", "../stacks/./Pulumi.dev.yaml")
    assert str(doc.positions[("a",)]) == "../stacks/./Pulumi.dev.yaml:1:1"


def test_duplicate_keys_are_all_reported(load):
    text = "config:\n  x: 1\n  y: 2\n  x: 3\nother: 4\nother: 5\n"
    problems = problems_of(load, text, "stacks/Pulumi.dev.yaml")
    assert [str(p) for p in problems] == [
        "stacks/Pulumi.dev.yaml:4:3: config.x: duplicate key 'x' (first at line 2); remove one of them",
        "stacks/Pulumi.dev.yaml:6:1: other: duplicate key 'other' (first at line 5); remove one of them",
    ]


def test_duplicate_keys_in_flow_mapping_and_sequence_items(load):
    problems = problems_of(load, "items:\n  - {a: 1, b: 2, a: 3}\n  - name: n\n    name: m\n")
    assert [(p.path, at(p.position)) for p in problems] == [("items[0].a", (2, 18)), ("items[1].name", (4, 5))]
    assert "first at line 2" in problems[0].message
    assert "first at line 3" in problems[1].message


@pytest.mark.parametrize(
    "written, expected",
    [
        ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
        ("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False),
        ('"3"', "3"), ("'true'", "true"), ("3", 3), ("-3", -3), ("+3", 3), ("007", 7),
        ("0x1f", 31), ("0o17", 15), ("1e3", 1000.0), ("1.5", 1.5), (".5", 0.5), ("1.", 1.0), ("-2.5E-1", -0.25),
        (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf),
        ("~", None), ("null", None), ("NULL", None), ("", None),
        ("1_000", "1_000"), ("0b11", "0b11"), ("2024-01-01", "2024-01-01"), ("10.0.0.1", "10.0.0.1"),
        ("!!str 3", "3"), ("!!str true", "true"), ("!!str", ""), ("!!int '42'", 42), ("!!int 0x10", 16),
        ("!!float 3", 3.0), ("!!float '1e3'", 1000.0), ("!!bool 'false'", False), ("!!null ''", None), ("!!null ~", None),
    ],
)
def test_scalars_use_yaml_1_2_core_schema(load, written, expected):
    value = load(f"v: {written}\n").data["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_nan_and_block_scalars(load):
    data = load("a: .nan\nb: |\n  3\nc: >\n  true\n").data
    assert math.isnan(data["a"])
    assert data["b"] == "3\n" and data["c"] == "true\n"


def test_plain_keys_are_strings_as_written(load):
    data = load("8080: a\ntrue: b\nnull: c\n1.50: d\n'x': e\n!!str 3: f\n").data
    assert data == {"8080": "a", "true": "b", "null": "c", "1.50": "d", "x": "e", "3": "f"}


def test_explicit_collection_tags_are_honoured(load):
    assert load("!!map {a: !!seq [1]}\n").data == {"a": [1]}


def test_bad_values_for_standard_tags(load):
    problems = problems_of(load, "a: !!int x\nb: !!bool yes\nc: !!map x\nd: !!str {k: 1}\n")
    assert [(p.path, at(p.position)) for p in problems] == [("a", (1, 4)), ("b", (2, 4)), ("c", (3, 4)), ("d", (4, 4))]
    assert "not a valid !!int" in problems[0].message
    assert "not a valid !!bool" in problems[1].message


def test_unsupported_custom_tag(load):
    problems = problems_of(load, "config:\n  bucket: !Ref MyBucket\n  list: !GetAtt [a, b]\n")
    assert [(p.path, at(p.position)) for p in problems] == [("config.bucket", (2, 11)), ("config.list", (3, 9))]
    assert all("unsupported tag" in p.message for p in problems)
    assert "'!Ref'" in problems[0].message
    # other standard tags (timestamp, binary, ...) are not supported either
    assert "unsupported tag '!!timestamp'" in problems_of(load, "t: !!timestamp 2024-01-01\n")[0].message


def test_pulumi_secure_values_are_plain_mappings(load):
    assert load("config:\n  db:password:\n    secure: AAABAx==\n").data == {
        "config": {"db:password": {"secure": "AAABAx=="}}
    }


def test_merge_key_is_reported(load):
    problems = problems_of(load, "base: &b {x: 1}\nsvc:\n  <<: *b\n  y: 2\n")
    assert len(problems) == 1
    assert problems[0].message == "merge keys ('<<') are not supported; write the keys out"
    assert at(problems[0].position) == (3, 3)
    assert problems[0].path == "svc"


def test_quoted_merge_like_key_is_a_plain_string(load):
    assert load("'<<': 1\n").data == {"<<": 1}


def test_complex_key_is_reported(load):
    problems = problems_of(load, "? [a, b]\n: 1\n? {k: v}\n: 2\n")
    assert [at(p.position) for p in problems] == [(1, 3), (3, 3)]
    assert "sequence cannot be used as a mapping key" in problems[0].message
    assert "mapping cannot be used as a mapping key" in problems[1].message


def test_aliases_are_expanded_with_anchor_positions(load):
    doc = load("defaults: &d\n  size: 10\nsvc:\n  settings: *d\n")
    assert doc.data["svc"]["settings"] == {"size": 10}
    assert doc.data["svc"]["settings"] is not doc.data["defaults"]  # independent copies
    assert at(doc.positions[("svc", "settings")]) == (4, 3)  # the key is where it is written
    assert at(doc.positions[("svc", "settings", "size")]) == (2, 3)  # the subtree points at the anchor


@pytest.mark.parametrize("text", ["a: &r [1, *r]\n", "a: &r\n  x: *r\n"])
def test_recursive_alias_is_a_problem_not_a_recursion_error(load, text):
    problems = problems_of(load, text)
    assert len(problems) == 1 and "recursive alias" in problems[0].message


def test_alias_bomb_is_stopped(load):
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, prev in zip("bcdef", "abcde"):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    with pytest.raises(YamlSourceError) as info:
        load(text, "s.yaml", sy.YamlLimits(max_nodes=1000))
    [problem] = info.value.problems
    assert str(problem) == (
        "s.yaml:1:4: c[7][8]: aliases expand the document to too many nodes, more than the limit of 1000; "
        "if the file is legitimate, raise it with MODELFLEET_YAML_MAX_NODES, or write fewer aliases"
    )


def test_multiple_documents_are_reported(load):
    problems = problems_of(load, "a: 1\n---\nb: 2\n")
    assert len(problems) == 1
    assert at(problems[0].position) == (2, 1)
    assert "more than one YAML document" in problems[0].message


def test_explicit_single_document_markers_are_fine(load):
    assert load("---\na: 1\n...\n").data == {"a": 1}


@pytest.mark.parametrize(
    "text, line_col",
    [
        ("a: 1\nb: [1, 2\nc: 3\n", None),  # unclosed flow sequence (reported where the parser notices)
        ("a:\n  b: 1\n c: 2\n", (3, 2)),  # bad indentation
        ("a: b: c\n", (1, 5)),
        ("a: 1\n\tb: 2\n", (2, 1)),
        ("x: *nowhere\n", (1, 4)),
    ],
)
def test_syntax_errors_become_one_problem(load, text, line_col):
    problems = problems_of(load, text, "s.yaml")
    assert len(problems) == 1
    problem = problems[0]
    assert problem.message.startswith("invalid YAML: ")
    assert problem.message.endswith("; fix the syntax")
    assert "\n" not in problem.message
    assert problem.position.line >= 1 and problem.position.column >= 1
    if line_col is not None:
        assert at(problem.position) == line_col
    assert str(problem).startswith(f"s.yaml:{problem.position.line}:{problem.position.column}: invalid YAML: ")


def test_control_character_is_reported_with_position(load):
    problems = problems_of(load, "ok: 1\nééé: \x01\n")
    assert at(problems[0].position) == (2, 6)
    assert "U+0001" in problems[0].message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_file_gives_none(load, text):
    doc = load(text)
    assert doc.data is None
    assert at(doc.positions[()]) == (1, 1)


def test_problems_are_in_file_order(load):
    text = "a: !Foo 1\nb: 1\nb: 2\n<<: {}\nc: !!int x\n"
    problems = problems_of(load, text)
    assert [p.position.line for p in problems] == [1, 3, 4, 5]


def test_load_yaml_uses_the_fast_loader_when_available():
    if yaml.__with_libyaml__:
        assert sy._DEFAULT_LOADER is sy._C_LOADER
    assert load_yaml("a: [1, yes]\n", "f.yaml").data == {"a": [1, "yes"]}


def test_load_yaml_file_with_display_name(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  modelfleet:gpu: on\n", encoding="utf-8")
    doc = load_yaml_file(path, "stacks/Pulumi.dev.yaml")
    assert doc.data == {"config": {"modelfleet:gpu": "on"}}
    assert str(doc.positions[("config", "modelfleet:gpu")]) == "stacks/Pulumi.dev.yaml:2:3"
    # default display name is str(path)
    assert load_yaml_file(path).positions[()].file == str(path)


def test_load_yaml_file_strips_utf8_bom(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    doc = load_yaml_file(path, "bom.yaml")
    assert doc.data == {"a": 1}
    assert at(doc.positions[("a",)]) == (1, 1)


def test_missing_file(tmp_path):
    with pytest.raises(YamlSourceError) as info:
        load_yaml_file(tmp_path / "nope.yaml", "stacks/nope.yaml")
    [problem] = info.value.problems
    assert problem.position == Position("stacks/nope.yaml", 1, 1)
    assert problem.path == ""
    assert "cannot read file" in problem.message
    assert str(problem).startswith("stacks/nope.yaml:1:1: cannot read file: ")


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(YamlSourceError) as info:
        load_yaml_file(tmp_path, "stacks")
    assert "cannot read file" in info.value.problems[0].message


def test_invalid_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(YamlSourceError) as info:
        load_yaml_file(path, "latin1.yaml")
    [problem] = info.value.problems
    assert at(problem.position) == (2, 7)
    assert "not valid UTF-8" in problem.message


def test_str_formats():
    pos = Position("stacks/Pulumi.dev.yaml", 42, 7)
    assert str(pos) == "stacks/Pulumi.dev.yaml:42:7"
    problem = SourceProblem(Position("stacks/Pulumi.dev.yaml", 3, 5), "config.x", "duplicate key 'x' (first at line 2); remove one of them")
    assert str(problem) == "stacks/Pulumi.dev.yaml:3:5: config.x: duplicate key 'x' (first at line 2); remove one of them"
    root_problem = SourceProblem(pos, "", "invalid YAML: oops; fix the syntax")
    assert str(root_problem) == "stacks/Pulumi.dev.yaml:42:7: invalid YAML: oops; fix the syntax"
    error = YamlSourceError([problem, root_problem])
    assert str(error) == f"{problem}\n{root_problem}"
    with pytest.raises(AttributeError):
        pos.line = 1  # frozen


def test_format_path():
    assert format_path(()) == ""
    assert format_path(("models", 2, "name")) == "models[2].name"
    assert format_path(("config", "modelfleet:models", 2, "name")) == "config.modelfleet:models[2].name"
    assert format_path((0, 1, "a.b")) == "[0][1].a.b"
    assert format_path(("a",)) == "a"


# -- hostile input: refused while composing, before anything is expanded ---------------------------------------

HOSTILE = {
    "a million items": ("config:\n  items: [" + "x," * 1_000_000 + "]\n", "s.yaml:2:100001", "too many YAML nodes, more than the limit of 50000; if the file is legitimate, raise it with MODELFLEET_YAML_MAX_NODES"),
    "deep nesting": ("a: " + "[" * 200 + "]" * 200 + "\n", "s.yaml:1:67", "nesting deeper than 64 levels, more than the limit of 64; if the file is legitimate, raise it with MODELFLEET_YAML_MAX_DEPTH"),
    "a huge scalar": ("a: " + "x" * 300_000 + "\n", "s.yaml:1:4", "a scalar of 300000 characters, more than the limit of 262144; if the file is legitimate, raise it with MODELFLEET_YAML_MAX_SCALAR"),
    "an alias fan-out": ("a: &a [" + ", ".join(["x"] * 100) + "]\nb: &b [" + ", ".join(["*a"] * 100) + "]\nc: [" + ", ".join(["*b"] * 300) + "]\n",
                         "s.yaml:1:4", "aliases expand the document to too many nodes, more than the limit of 50000; if the file is legitimate, raise it with MODELFLEET_YAML_MAX_NODES, or write fewer aliases"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_documents_are_refused_with_the_limit_and_how_to_raise_it(load, case):
    text, where, message = HOSTILE[case]
    problems = problems_of(load, text)
    assert len(problems) == 1
    assert str(problems[0].position) == where and problems[0].message == message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "labels.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MiB, sparse: nothing to read if the size is checked first
    with pytest.raises(YamlSourceError) as info:
        load_yaml_file(big, "stacks/labels.yaml")
    assert [str(p) for p in info.value.problems] == [
        "stacks/labels.yaml:1:1: the file has 52428800 bytes, more than the limit of 4194304; "
        "if the file is legitimate, raise it with MODELFLEET_YAML_MAX_BYTES, or split the file"
    ]


def test_limits_are_raised_by_their_environment_variables(monkeypatch):
    monkeypatch.setenv("MODELFLEET_YAML_MAX_NODES", "2000000")
    monkeypatch.setenv("MODELFLEET_YAML_MAX_DEPTH", "not a number")  # ignored: the default stays
    limits = sy.YamlLimits.from_environment()
    assert (limits.max_nodes, limits.max_depth) == (2_000_000, 64)
    assert len(load_yaml("items:\n" + "  - x\n" * 60_000, "s.yaml").data["items"]) == 60_000


def test_documents_of_one_stream_share_the_node_limit():
    text = "---\n".join("items: [" + ", ".join(["x"] * 600) + "]\n" for _ in range(3))
    with pytest.raises(YamlSourceError) as info:
        sy.load_yaml_documents(text, "m.yaml", sy.YamlLimits(max_nodes=1500))
    assert [p.message.split(",")[0] for p in info.value.problems] == ["too many YAML nodes"]


# -- the fast path: plain data straight from the parser's events, positions on demand ------------------------------

REPO = Path(__file__).resolve().parents[1]
PLAIN_FILES = sorted({*(REPO / "stacks").glob("*.yaml"), *(REPO / "tests" / "policy_fixtures").rglob("*.yaml"), REPO / "Pulumi.yaml"})

needs_libyaml = pytest.mark.skipif(sy._C_LOADER is None, reason="the fast path reads the libyaml parser's events")


@needs_libyaml
@pytest.mark.parametrize("path", PLAIN_FILES, ids=lambda path: str(path.relative_to(REPO)))
def test_the_fast_path_reads_every_project_file_as_the_positioned_reader_does(path):
    text = path.read_text(encoding="utf-8")
    fast = sy._fast_documents(text, sy.YamlLimits(), single=False)
    assert fast is not None, "a plain project file must not need the positioned reader"
    positioned = sy._load_all_positioned(text, "f.yaml", sy._C_LOADER, sy.YamlLimits())
    assert repr(fast) == repr([document.data for document in positioned])  # repr: key order and int/float/bool types too
    lazy = sy._load_all(text, "f.yaml", sy._C_LOADER, sy.YamlLimits())
    assert [(d.positions, d.value_positions) for d in lazy] == [(d.positions, d.value_positions) for d in positioned]


# Mostly what the fast path takes, with one tricky part now and then (a text with one is left to the positioned reader).
_KEYS = st.sampled_from(["a", "b", "c", "1", "yes", "null", "'<<'", '"a"', "&k a"] * 8 + ["<<", "!!str k", "!!int 1", "*k", "[k]", "{k: 1}", "? k", "a_very_long_key"])
_SCALARS = st.integers(0, 24).flatmap(lambda pick: st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=4) if pick == 0 else st.sampled_from(
    ["x", "yes", "no", "on", "~", "null", "Null", "true", "FALSE", "1e3", "0x1F", "0o17", "012", ".5", "-.inf", ".NaN", "1_000", "12:30", "2001-12-14",
     "''", '""', "'a'", "&a 1", "", "x # c", "'é'", '"\\t"'] * 4
    + ["!!str 1", "!!int x", "!!float y", "!custom a", "*a", "- x", "{a: 1, a: 2}", "a_very_long_scalar"]))


@st.composite
def _yaml_texts(draw):
    """Flow mappings and sequences of tricky keys and scalars, written as raw text (so tags, anchors, aliases,
    duplicate, merge and complex keys, deep nesting and bad syntax all occur), sometimes two documents."""
    def node(depth: int) -> str:
        if depth > 3 or draw(st.booleans()):
            return draw(_SCALARS)
        if draw(st.booleans()):
            return "[" + ", ".join(node(depth + 1) for _ in range(draw(st.integers(0, 3)))) + "]"
        return "{" + ", ".join(f"{draw(_KEYS)}: {node(depth + 1)}" for _ in range(draw(st.integers(0, 3)))) + "}"

    lines = [f"{draw(_KEYS)}: {node(0)}" for _ in range(draw(st.integers(1, 4)))]
    return "\n".join(lines) + ("\n---\nb: 1\n" if draw(st.booleans()) else "\n")


@needs_libyaml
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_yaml_texts())
def test_the_fast_path_agrees_with_the_positioned_reader_or_leaves_it_the_text(text):
    """Whatever the text, the public readers give what the positioned reader gives: the same data, positions
    and problems (the fast path only ever returns data for a text the positioned reader accepts)."""
    limits = sy.YamlLimits(max_nodes=30, max_depth=5, max_scalar=12)

    def outcome(read_documents):
        try:
            documents = read_documents()
        except YamlSourceError as error:
            return [str(problem) for problem in error.problems]
        data = [repr(d.data) for d in documents]  # before the positions: those of the fast path read the text again
        return data, [(d.positions, d.value_positions) for d in documents]

    assert outcome(lambda: sy._load_all(text, "f.yaml", sy._C_LOADER, limits)) == outcome(lambda: sy._load_all_positioned(text, "f.yaml", sy._C_LOADER, limits))
    assert outcome(lambda: [sy._load(text, "f.yaml", sy._C_LOADER, limits)]) == outcome(lambda: [sy._load_positioned(text, "f.yaml", sy._C_LOADER, limits)])


_AT_THE_LIMITS = sy.YamlLimits(max_nodes=6, max_depth=4, max_scalar=5)  # "a: {b: [12345]}": 6 nodes, the scalar 4 deep, 5 characters


@needs_libyaml
@pytest.mark.parametrize("text, single", [
    ("a: {b: [12345]}\n", True),
    ("a: [1]\nc: '<<'\n", True),
    ("a: 1\n---\nb: 2\n", False),
])
def test_the_fast_path_takes_plain_text_up_to_the_limits(text, single):
    assert sy._fast_documents(text, _AT_THE_LIMITS, single) is not None


@needs_libyaml
@pytest.mark.parametrize("text, single", [
    ("a: {b: [123456]}\n", True),  # a scalar over the limit
    ("[[[[1]]]]\n", True),  # too deep: the scalar is 5 deep
    ("a: [1, 2, 3, 4]\n", True),  # 7 nodes: one too many
    ("a: 1\n---\nb: 2\n", True),  # two documents where one is expected
    ("a: 1\na: 2\n", True),  # duplicate key
    ("<<: {a: 1}\n", True),  # merge key
    ("a: &x 1\nb: *x\n", True),  # alias
    ("a: &x 1\nb: &x 2\n", True),  # anchor (a duplicate one is a composer error)
    ("a: !!str 1\n", True),  # tag
    ("[a]: 1\n", True),  # complex key
    ("a: [\n", False),  # syntax error
])
def test_the_fast_path_leaves_every_special_case_to_the_positioned_reader(text, single):
    assert sy._fast_documents(text, _AT_THE_LIMITS, single) is None
