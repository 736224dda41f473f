"""The pack evaluated in process: what the policies are given, made once per object, is what the gRPC path gives.

`as_received` stands for the Struct round trip of the properties (`over_the_wire`): its values must be the round
trip's, type for type, over every object this project renders or checks and over values chosen to break it; what it
does not convert itself it hands to the round trip. Each object is then converted once for every policy, Analyze
and AnalyzeStack alike, and the verdicts do not depend on the order of mapping keys (which the round trip changes).
"""

from __future__ import annotations

import enum
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from modelfleet.check import in_process
from modelfleet.check.analyzer_client import Diagnostic, Resource, over_the_wire
from modelfleet.check.check import PACK_DIR, subjects
from modelfleet.check.in_process import InProcessPack, as_received
from modelfleet.check.manifest_files import load_manifests
from modelfleet.check.pack_config import reconcile
from modelfleet.compile import compile_environments
from modelfleet.load.project import Project

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "policy_fixtures"
PACK_DEFAULTS = FIXTURES / "seeds" / "pack-defaults.json"


class Text(str):
    pass


class Count(enum.IntEnum):
    TWO = 2


def same(left: Any, right: Any) -> bool:
    """Equal, type for type at every level (0.0 and -0.0 differ); the order of mapping keys aside."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float):
        return left.hex() == right.hex()
    return left == right


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    """Every object of the example stacks as compiled (what render writes) and of the policy fixtures."""
    project = Project.at(ROOT)
    compiled = [obj for environment in compile_environments(project, project.environments(), None) for obj in environment.objects]
    return compiled + [manifest.data for manifest in load_manifests([FIXTURES])]


PLAIN_VALUES = [
    0, -1, 1, 2**53 + 1, -(2**63) - 1, 2**64 + 1, 10**308, 2**1024 - 2**971, -(2**1024 - 2**970 - 1),
    0.5, -0.0, 5e-324, 1.7976931348623157e308, 3.0,
    True, False, None, "", "é", "\U0001f600", "a\x00b", UNKNOWN_STRING_VALUE, "__target",
    [], {}, [[]], [{}], [None], {"": None}, {"__target": {"x": 1}}, {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "s"}, {"é": [1, {"b": []}]},
]
# Values the round trip converts (a tuple, subclasses, bytes keys) or refuses (no Struct value holds them).
OTHER_VALUES = [
    2**1024 - 2**970, 2**1024, -(10**309), float("inf"), float("-inf"), float("nan"), "\ud800", (1, 2), Text("x"),
    Count.TWO, 2.5j, b"x", object(), OrderedDict(a=1), {1: "x"}, {b"x": 1}, {"\udfff": 1}, {None: 1}, {Text("k"): 1},
]


def round_trip(value: Any) -> tuple[str, Any]:
    try:
        return "value", over_the_wire({"v": value})
    except Exception as error:
        return type(error).__name__, str(error)


def converted(value: Any) -> tuple[str, Any]:
    try:
        return "value", as_received({"v": value})
    except Exception as error:
        return type(error).__name__, str(error)


def test_every_object_is_converted_as_by_the_round_trip_without_it(objects, monkeypatch):
    expected = [over_the_wire(obj) for obj in objects]
    monkeypatch.setattr(in_process, "over_the_wire", lambda _: pytest.fail("took the round trip"))
    assert {"InferenceService", "ServingRuntime", "Service", "Deployment", "RayService", "RayCluster", "LLMInferenceService"} <= {obj["kind"] for obj in objects}
    assert all(same(as_received(obj), wire) for obj, wire in zip(objects, expected))


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=lambda value: repr(value)[:40])
def test_plain_values_are_converted_as_by_the_round_trip_without_it(value, monkeypatch):
    expected = round_trip(value)
    monkeypatch.setattr(in_process, "over_the_wire", lambda _: pytest.fail("took the round trip"))
    kind, result = converted(value)
    assert kind == "value" and same(result, expected[1])


def same_outcome(value: Any) -> bool:
    """as_received gives the round trip's value, or raises its error."""
    (kind, result), (expected_kind, expected) = converted(value), round_trip(value)
    return kind == expected_kind and (same(result, expected) if kind == "value" else result == expected)


@pytest.mark.parametrize("value", OTHER_VALUES, ids=lambda value: repr(value)[:40])
def test_other_values_take_the_round_trip_with_its_result_or_error(value):
    assert same_outcome(value)


def test_ints_of_every_magnitude_round_like_the_round_trip_or_fail_like_it():
    """Around every power of two up to past a double's range: the same rounding to a double, the same overflow."""
    assert all(same_outcome(sign * (2**bits + offset)) for bits in range(1100) for offset in (-1, 0, 1) for sign in (1, -1))


def _diagnostics(pack: InProcessPack, resources: list[Resource]) -> list[Diagnostic]:
    return [diagnostic for resource in resources for diagnostic in pack.analyze(resource)] + pack.analyze_stack(resources)


def _resources(objects: list[dict]) -> list[Resource]:
    return [subject.resource for subject in subjects([(obj, "fixture", None, ()) for obj in objects], "test", "modelfleet")]


def _configured(pack: InProcessPack) -> InProcessPack:
    pack.configure(reconcile(PACK_DEFAULTS, PACK_DEFAULTS.name, pack.policies))
    return pack


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(value)}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


def test_verdicts_do_not_depend_on_the_order_of_keys(objects):
    with _configured(InProcessPack(ROOT / PACK_DIR, "modelfleet", "test")) as pack:
        found = _diagnostics(pack, _resources(objects))
    with _configured(InProcessPack(ROOT / PACK_DIR, "modelfleet", "test")) as pack:
        assert _diagnostics(pack, _resources([_reversed_keys(obj) for obj in objects])) == found
    assert len(found) > 10


def test_each_object_is_converted_once_for_all_policies_and_dropped_with_the_pack(objects, monkeypatch):
    with _configured(InProcessPack(ROOT / PACK_DIR, "modelfleet", "test")) as pack:
        policy_support = sys.modules["modelfleet_pack.support.policy"]
        workloads = sys.modules["modelfleet_pack.support.workloads"]
        calls = {"as_received": 0, "kube_object": 0, "pods": 0}

        def counted(name: str, function: Any) -> Any:
            def count(*args: Any) -> Any:
                calls[name] += 1
                return function(*args)

            return count

        monkeypatch.setattr(in_process, "as_received", counted("as_received", in_process.as_received))
        monkeypatch.setattr(policy_support, "kube_object", counted("kube_object", policy_support.kube_object))
        monkeypatch.setattr(workloads, "_pods", counted("pods", workloads._pods))
        resources = _resources(objects)
        _diagnostics(pack, resources)
        assert calls == {"as_received": len(resources), "kube_object": len(resources), "pods": len(resources)}
        props = {id(entry[1]) for entry in pack._props_of.values()}
        assert len(props) == len(resources) and props <= set(policy_support._converted)
    assert props.isdisjoint(policy_support._converted)


def test_a_serve_config_is_parsed_once_for_every_rule_that_reads_it(monkeypatch):
    rayservice = load_manifests([FIXTURES / "rules" / "rayservice.yaml"])[0].data
    with _configured(InProcessPack(ROOT / PACK_DIR, "modelfleet", "test")) as pack:
        ray = sys.modules["modelfleet_pack.support.ray"]
        ray._applications.cache_clear()
        parsed = []
        safe_load = ray.yaml.safe_load
        monkeypatch.setattr(ray.yaml, "safe_load", lambda text: parsed.append(text) or safe_load(text))
        _diagnostics(pack, _resources([rayservice, rayservice]))
    assert parsed == [rayservice["spec"]["serveConfigV2"]]
