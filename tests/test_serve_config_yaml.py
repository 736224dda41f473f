"""serveConfigV2 text: libyaml's emitter is used only where it writes what PyYAML's Python emitter writes."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from modelfleet.build.ray import _emitted_alike, _serve_yaml

_PRINTABLE_ASCII = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120)
_TEXT = st.one_of(_PRINTABLE_ASCII, st.sampled_from(["", " ", "yes", "null", "1e3", "0x1F", "- a", "a: b", "a #b", "'q'", '"q"', "x" * 99, "x " * 70]))
_SCALARS = st.one_of(_TEXT, st.integers(-(2**63), 2**63), st.floats(allow_nan=False), st.booleans(), st.none())
_CONFIGS = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=99), inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(_CONFIGS)
def test_a_config_libyaml_may_write_reads_the_same_as_pythons_text(config):
    document = {"applications": [config]}
    assert _emitted_alike(document)
    assert _serve_yaml(document) == yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.one_of(st.text(max_size=200), st.integers()), lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=200), inner, max_size=3)), max_leaves=15))
def test_any_config_gets_pythons_text(config):
    document = {"applications": [config]}
    assert _serve_yaml(document) == yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def test_what_the_emitters_may_write_differently_goes_to_pythons():
    assert not _emitted_alike({"applications": [{"k" * 128: 1}]})
    assert not _emitted_alike({"applications": ["line\nbreak"]})
    assert not _emitted_alike({"applications": ["é"]})
    assert not _emitted_alike({"applications": [{"": 1}]})
    assert _emitted_alike({"applications": [{"name": "llm", "args": {"llm_configs": [{"tensor_parallel_size": 2}]}}]})
