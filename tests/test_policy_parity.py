"""The policy pack evaluated in process gives the verdicts of the pack driven over gRPC, verdict by verdict:
every example stack (compiled), every fixture and corpus under tests/policy_fixtures, and the upstream-authored
manifests of ../shared/external where they are beside the project, under the pack's defaults and every
environment's config; and objects with the values the in-process conversion must treat as the SDK does."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from modelfleet.check.analyzer_client import PolicyPackProcess
from modelfleet.check.check import EnvironmentResult, PACK_DIR, check_environments, check_manifests, open_pack, subjects
from modelfleet.check.in_process import InProcessPack
from modelfleet.check.pack_config import reconcile
from modelfleet.compile import compile_environments
from modelfleet.load.project import Project
from tests.policy_harness import DELETE, edited, fixture

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "policy_fixtures"
EXTERNAL = ROOT.parent / "shared" / "external"
CONFIGS = [FIXTURES / "seeds" / "pack-defaults.json", *sorted((ROOT / PACK_DIR / "config").glob("*.json"))]
MANIFESTS = sorted(path for path in FIXTURES.rglob("*.y*ml")) + ([EXTERNAL] if EXTERNAL.is_dir() else [])


def verdicts(result: EnvironmentResult) -> list[tuple]:
    return [
        (finding.policy, finding.level, finding.message, finding.subject.resource.urn if finding.subject else "", finding.position)
        for finding in result.findings
    ]


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.at(ROOT)


def test_the_pack_is_evaluated_in_process_with_the_policies_it_reports_over_grpc(project):
    pack = open_pack(project, "modelfleet", "dev", "in-process")
    assert isinstance(pack, InProcessPack)
    with PolicyPackProcess(ROOT / PACK_DIR, "modelfleet", "dev") as process:
        assert pack.policies == process.policies


def test_example_stacks_have_the_same_verdicts_both_ways(project):
    compiled = compile_environments(project, project.environments(), None)
    for config in [None, CONFIGS[0]]:
        local, remote = (check_environments(project, compiled, config, protocol) for protocol in ("in-process", "grpc"))
        assert [verdicts(result) for result in local] == [verdicts(result) for result in remote]
        assert sum(len(result.findings) for result in local) > 0  # the comparison is not vacuous


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.name)
def test_fixtures_and_corpora_have_the_same_verdicts_both_ways(project, config):
    for path in MANIFESTS:
        local, remote = (check_manifests(project, [path], "dev", config, protocol) for protocol in ("in-process", "grpc"))
        assert verdicts(local) == verdicts(remote), path


SECRET = {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "s3cret"}
DEPLOYMENT, PLAIN_SECRET = fixture("rules/deployment.yaml")[0], fixture("rules/secret.yaml")[0]
TGI = ("spec", "template", "spec", "containers", 0)
ODD_OBJECTS = [
    edited(DEPLOYMENT, (*TGI, "image"), UNKNOWN_STRING_VALUE),
    edited(edited(DEPLOYMENT, ("metadata", "name"), "unknown-list"), (*TGI, "args"), UNKNOWN_STRING_VALUE),
    edited(PLAIN_SECRET, ("data",), {"token": SECRET, "other": {"__target": "x"}}),
    edited(DEPLOYMENT, ("metadata", "annotations"), {"__target": "hf_" + "a" * 34, "none": None, "empty": [[], {}]}),
    edited(edited(DEPLOYMENT, ("spec", "replicas"), 2**53 + 1), (*TGI, "resources", "limits", "nvidia.com/gpu"), 1.5),
    edited(edited(DEPLOYMENT, ("metadata", "name"), "odd-numbers"), (*TGI, "resources", "requests"), {"cpu": -0.0, "nvidia.com/gpu": 10**300}),
    edited(edited(DEPLOYMENT, ("metadata", "name"), "no-limits"), (*TGI, "resources", "limits"), DELETE),
]


def test_unknown_secret_and_odd_values_have_the_same_verdicts_both_ways():
    """Values the in-process conversion must treat as the SDK does: unknowns (the policies cannot run), secrets,
    a `__target` key (which the SDK's proxy answers itself), numbers past 2**53, None and empty collections."""
    config = FIXTURES / "seeds" / "pack-defaults.json"
    resources = [subject.resource for subject in subjects([(obj, "fixture", None, ()) for obj in ODD_OBJECTS], "test", "modelfleet")]
    found = []
    with InProcessPack(ROOT / PACK_DIR, "modelfleet", "test") as local, PolicyPackProcess(ROOT / PACK_DIR, "modelfleet", "test") as remote:
        for pack in (local, remote):
            pack.configure(reconcile(config, config.name, pack.policies))
            found.append([diagnostic for resource in resources for diagnostic in pack.analyze(resource)] + pack.analyze_stack(resources))
    assert found[0] == found[1]
    assert any("during preview" in diagnostic.message for diagnostic in found[0])  # the comparison is not vacuous
    assert any("the Secret carries values for other, token" in diagnostic.message for diagnostic in found[0])


def test_a_pack_that_cannot_run_in_process_is_driven_over_grpc(project, tmp_path):
    """A pack whose __main__ does not assemble a PolicyPack as expected (here: it fails to import) is not evaluated
    in process; the gRPC path then reports it as it always has."""
    (tmp_path / PACK_DIR).mkdir()
    (tmp_path / PACK_DIR / "__main__.py").write_text("import missing_module\n", encoding="utf-8")
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n", encoding="utf-8")
    pack = open_pack(Project.at(tmp_path), "broken", "dev", "in-process")
    assert isinstance(pack, PolicyPackProcess)
