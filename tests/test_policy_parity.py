"""The policy pack evaluated in process gives the verdicts of the pack driven over gRPC, verdict by verdict:
every example stack (compiled), every fixture and corpus under tests/policy_fixtures, and the upstream-authored
manifests of ../shared/external where they are beside the project, under the pack's defaults and every
environment's config."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.check.analyzer_client import PolicyPackProcess
from modelfleet.check.check import EnvironmentResult, PACK_DIR, check_environments, check_manifests, open_pack
from modelfleet.check.in_process import InProcessPack
from modelfleet.compile import compile_environments
from modelfleet.load.project import Project

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


def test_a_pack_that_cannot_run_in_process_is_driven_over_grpc(project, tmp_path):
    """A pack whose __main__ does not assemble a PolicyPack as expected (here: it fails to import) is not evaluated
    in process; the gRPC path then reports it as it always has."""
    (tmp_path / PACK_DIR).mkdir()
    (tmp_path / PACK_DIR / "__main__.py").write_text("import missing_module\n", encoding="utf-8")
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n", encoding="utf-8")
    pack = open_pack(Project.at(tmp_path), "broken", "dev", "in-process")
    assert isinstance(pack, PolicyPackProcess)
