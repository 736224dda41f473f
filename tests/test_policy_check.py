"""`modelfleet check`: the example stacks, the seed manifests as a conformance set, reports, bad input,
the policy config as the Pulumi CLI reconciles it, the pack process's lifecycle, and the rule docs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from modelfleet import cli
from modelfleet.check.analyzer_client import PolicyPackError, PolicyPackProcess
from modelfleet.check.check import check_manifests, field_path
from modelfleet.check.pack_config import reconcile
from modelfleet.check.report import render
from modelfleet.load.project import Project, SpecError
from tests.policy_harness import FIXTURES, ROOT, pack  # noqa: F401  (pack is a fixture)

SEEDS = FIXTURES / "seeds"
PACK_DEFAULTS = SEEDS / "pack-defaults.json"
EXTERNAL = ROOT.parent / "shared" / "external"
CORPUS = ROOT / "tests" / "policy_fixtures" / "corpus"


def _check(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = cli.main(["check", "--project", str(ROOT), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(report: dict) -> list[tuple]:
    """(resource, policy, level, message, line) of every finding of a --format json report."""
    rows = []
    for environment in report["environments"]:
        for finding in environment["findings"]:
            resource = finding["resource"]
            name = resource and f"{resource['kind']} {resource['namespace'] + '/' if resource['namespace'] else ''}{resource['name']}"
            rows.append((name, finding["policy"], finding["level"], finding["message"], finding["position"] and finding["position"]["line"]))
    return rows


# -- the example stacks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_example_stack_passes_its_environment_policy_config(capsys, env):
    code, out, _ = _check(capsys, env, "--format", "json")
    report = json.loads(out)
    assert [row for row in _rows(report) if row[2] == "mandatory"] == []
    assert (code, report["environments"][0]["config"]) == (0, f"policies/config/{env}.json")


# -- the seed manifests as a conformance set -----------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_results():
    """Each seed document checked on its own (as its own stack), with the pack's default config."""
    project = Project.at(ROOT)
    return {path.name: check_manifests(project, [path], "dev", PACK_DEFAULTS) for path in sorted(SEEDS.glob("*.yaml"))}


def _seed_rows(result) -> list[tuple]:
    return [(finding.subject.display() if finding.subject else None, finding.policy.name, finding.level, finding.message) for finding in result.findings]


def test_seed_000_openshift_ai_runtime(seed_results):
    # The digest-pinned runtime is compliant; the InferenceService names the runtime by its display name,
    # which selects nothing, so nothing shows its version is pinned.
    assert _seed_rows(seed_results["000_openshift_ai_runtime.yaml"]) == [
        ("InferenceService granite", "pinned-runtime-version", "mandatory", "spec.predictor.model: runtimeVersion is not set and runtime 'vLLM ServingRuntime for KServe' is not in this stack to show its image is pinned"),
    ]


def test_seed_003_vllm_tgi_kserve_ray(seed_results):
    # The doc's vLLM Deployment keeps its tolerations in the pod template (after volumes); its KServe vLLM
    # InferenceService, the TGI Deployment and the RayCluster request GPUs without any toleration.
    assert _seed_rows(seed_results["003_llm_serving_vllm_tgi.yaml"]) == [
        ("Deployment ml-serving/vllm-llama", "pinned-image", "advisory", "spec.template.spec.containers[0].image: 'vllm/vllm-openai:v0.6.0' is pinned by tag only; a tag can be pushed again"),
        ("Deployment ml-serving/tgi-mistral", "gpu-toleration", "mandatory", "spec.template.spec: requests nvidia.com/gpu ('tgi') but does not tolerate the GPU taint nvidia.com/gpu"),
        ("Deployment ml-serving/tgi-mistral", "pinned-image", "advisory", "spec.template.spec.containers[0].image: 'ghcr.io/huggingface/text-generation-inference:2.0' is pinned by tag only; a tag can be pushed again"),
        ("Deployment ml-serving/tgi-mistral", "resource-limits", "advisory", "spec.template.spec.containers[0].resources.limits: no cpu limit"),
        ("Deployment ml-serving/tgi-mistral", "trust-remote-code", "mandatory", "spec.template.spec.containers[0]: --trust-remote-code trusts remote code from 'mistralai/Mistral-7B-Instruct-v0.3', which is not on the allow-list"),
        ("ClusterServingRuntime vllm-runtime", "pinned-image", "advisory", "spec.containers[0].image: 'vllm/vllm-openai:v0.6.0' is pinned by tag only; a tag can be pushed again"),
        ("InferenceService llama-vllm", "gpu-toleration", "mandatory", "spec.predictor: requests nvidia.com/gpu (spec.predictor.model) but does not tolerate the GPU taint nvidia.com/gpu"),
        ("InferenceService llama-vllm", "resource-limits", "advisory", "spec.predictor.model.resources.limits: no cpu limit"),
        ("RayCluster llm-cluster", "gpu-toleration", "mandatory", "spec.headGroupSpec.template.spec: requests nvidia.com/gpu ('ray-head') but does not tolerate the GPU taint nvidia.com/gpu"),
        ("RayCluster llm-cluster", "gpu-toleration", "mandatory", "spec.workerGroupSpecs[0].template.spec: requests nvidia.com/gpu ('ray-worker') but does not tolerate the GPU taint nvidia.com/gpu"),
        ("RayCluster llm-cluster", "pinned-image", "advisory", "spec.headGroupSpec.template.spec.containers[0].image: 'rayproject/ray-ml:2.9.0-gpu' is pinned by tag only; a tag can be pushed again"),
        ("RayCluster llm-cluster", "pinned-image", "advisory", "spec.workerGroupSpecs[0].template.spec.containers[0].image: 'rayproject/ray-ml:2.9.0-gpu' is pinned by tag only; a tag can be pushed again"),
        ("RayCluster llm-cluster", "resource-limits", "advisory", "spec.headGroupSpec.template.spec.containers[0].resources.limits: no cpu limit"),
        ("RayCluster llm-cluster", "resource-limits", "advisory", "spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits: no cpu limit"),
        ("InferenceService llama-vllm", "pinned-runtime-version", "mandatory", "spec.predictor.model: runtimeVersion is not set and runtime 'vllm-runtime' image 'vllm/vllm-openai:v0.6.0' is not pinned by digest"),
        (None, "gpu-budget", "mandatory", "the stack holds 47 GPUs at maximum scale, over the budget of 8; largest: RayCluster llm-cluster 32, Deployment ml-serving/vllm-llama 8, Deployment ml-serving/tgi-mistral 6"),
    ]


def test_seed_004_knative_vllm(seed_results):
    assert _seed_rows(seed_results["004_knative_vllm_qwen.yaml"]) == [
        ("Service default/qwen", "gpu-toleration", "mandatory", "spec.template.spec: requests nvidia.com/gpu ('vllm-container') but does not tolerate the GPU taint nvidia.com/gpu"),
        ("Service default/qwen", "pinned-image", "advisory", "spec.template.spec.containers[0].image: 'kube-ai-registry.cn-shanghai.cr.aliyuncs.com/kube-ai/vllm:0.4.1' is pinned by tag only; a tag can be pushed again"),
        ("Service default/qwen", "trust-remote-code", "mandatory", "spec.template.spec.containers[0]: --trust-remote-code trusts remote code from '/Qwen-7B-Chat-Int8', 'pvc://llm-model', which is not on the allow-list"),
        ("Service default/qwen", "min-replicas", "advisory", "spec.template.metadata.annotations.autoscaling.knative.dev/min-scale: is not set (Knative default 0: scales to zero), below the minimum of 1"),
    ]


def test_findings_point_at_the_offending_field(seed_results):
    positions = {(finding.policy.name, str(finding.position)) for finding in seed_results["004_knative_vllm_qwen.yaml"].findings}
    seed = SEEDS / "004_knative_vllm_qwen.yaml"
    assert positions == {
        ("gpu-toleration", f"{seed}:20:5"),  # spec.template.spec
        ("pinned-image", f"{seed}:26:11"),  # ...containers[0].image
        ("trust-remote-code", f"{seed}:22:11"),  # ...containers[0]
        ("min-replicas", f"{seed}:14:7"),  # the annotations the min-scale key is missing from
    }


def test_field_path_follows_dotted_keys_and_indexes():
    data = {"spec": {"template": {"metadata": {"annotations": {"autoscaling.knative.dev/min-scale": "0"}}, "spec": {"containers": [{"image": "x"}]}}}}
    assert field_path(data, "spec.template.metadata.annotations.autoscaling.knative.dev/min-scale: is 0") == ("spec", "template", "metadata", "annotations", "autoscaling.knative.dev/min-scale")
    assert field_path(data, "spec.template.spec.containers[0].image: 'x' ...") == ("spec", "template", "spec", "containers", 0, "image")
    assert field_path(data, "spec.template.spec.containers[3].image: gone") == ("spec", "template", "spec", "containers")
    assert field_path(data, "the stack holds 9 GPUs: too many") == ()


# -- reports ----------------------------------------------------------------------------------------------------

def test_text_report_groups_findings_by_resource(seed_results):
    text = render([seed_results["004_knative_vllm_qwen.yaml"]], "text").splitlines()
    seed = str(SEEDS / "004_knative_vllm_qwen.yaml")
    assert text[0] == f"== dev: 1 resource(s) checked with {PACK_DEFAULTS}"
    assert text[1] == f"Service default/qwen ({seed})"
    assert text[2] == f"  mandatory gpu-toleration at {seed}:20:5: spec.template.spec: requests nvidia.com/gpu ('vllm-container') but does not tolerate the GPU taint nvidia.com/gpu"
    assert text[3].startswith("    remediation: Add a toleration for the GPU taint")
    assert text[-1] == "dev: 2 mandatory, 2 advisory violation(s)"


def test_github_report_annotates_files(seed_results):
    lines = render([seed_results["004_knative_vllm_qwen.yaml"]], "github").splitlines()
    seed = str(SEEDS / "004_knative_vllm_qwen.yaml").replace(":", "%3A").replace(",", "%2C")
    assert lines[0].startswith(f"::error file={seed},line=20,col=5,title=gpu-toleration (dev)::Service default/qwen: spec.template.spec: requests nvidia.com/gpu")
    assert "%0Aremediation: Add a toleration" in lines[0]
    assert lines[1].startswith(f"::warning file={seed},line=26,col=11,title=pinned-image (dev)::")
    assert lines[-1] == "dev: 2 mandatory, 2 advisory violation(s)"
    stack_wide = render([seed_results["003_llm_serving_vllm_tgi.yaml"]], "github").splitlines()[-2]
    assert stack_wide.startswith("::error title=gpu-budget (dev)::stack dev: the stack holds 47 GPUs")


def test_cli_checks_manifests_and_fails_on_mandatory_violations(capsys):
    code, out, err = _check(capsys, "--manifests", str(SEEDS / "004_knative_vllm_qwen.yaml"), "--config", str(PACK_DEFAULTS), "--format", "json")
    report = json.loads(out)
    assert (code, err, report["mandatory"], report["advisory"]) == (1, "", 2, 2)
    assert _rows(report)[0] == ("Service default/qwen", "gpu-toleration", "mandatory", "spec.template.spec: requests nvidia.com/gpu ('vllm-container') but does not tolerate the GPU taint nvidia.com/gpu", 20)


def test_a_corpus_of_manifests_is_checked_without_errors(capsys):
    """The in-repo corpus always; the upstream-authored manifests of ../shared/external too where they are beside the project."""
    corpora = [CORPUS] + ([EXTERNAL] if EXTERNAL.is_dir() else [])
    for corpus in corpora:
        code, out, err = _check(capsys, "--manifests", str(corpus), "--env", "prod", "--format", "json")
        rows = _rows(json.loads(out))
        assert (code, err) == (1, ""), corpus
        # The runtime + InferenceService pair is the compliant case: digest-pinned runtime, tolerated GPUs;
        # only prod's two-replica floor remains.
        assert [row[1:4] for row in rows if row[0] == "InferenceService mixtral"] == [("min-replicas", "mandatory", "spec.predictor.minReplicas: is 1, below the minimum of 2")]
        assert not [row for row in rows if row[0] == "ServingRuntime mixtral"]
        assert ("Secret hf-token", "no-plaintext-secrets", "mandatory", "stringData: the Secret carries values for hf_token") in [row[:4] for row in rows]


# -- bad input -------------------------------------------------------------------------------------------------------

def test_malformed_manifests_are_located_never_a_traceback(capsys, tmp_path):
    (tmp_path / "syntax.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n", encoding="utf-8")
    (tmp_path / "shape.yml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n- just a list\n---\napiVersion: v1\nmetadata: {name: no-kind}\n"
        "---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {}\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("not yaml", encoding="utf-8")
    code, out, err = _check(capsys, "--manifests", str(tmp_path), str(tmp_path / "missing.yaml"))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{tmp_path}/missing.yaml:1:1: no such file or directory",
        f"{tmp_path}/shape.yml:5:1: expected a Kubernetes object (a mapping with apiVersion, kind and metadata)",
        f"{tmp_path}/shape.yml:7:1: not a Kubernetes object: kind missing or not a string; every document must have apiVersion, kind and metadata.name",
        f"{tmp_path}/shape.yml:13:5: not a Kubernetes object: metadata.name missing or not a string; every document must have apiVersion, kind and metadata.name",
        f"{tmp_path}/syntax.yaml:4:1: invalid YAML: did not find expected ',' or '}}' (while parsing a flow mapping at line 3); fix the syntax",
        "5 problem(s); nothing written",
    ]


def test_missing_policy_config_is_reported(capsys):
    code, out, err = _check(capsys, "--manifests", str(SEEDS / "000_openshift_ai_runtime.yaml"), "--env", "qa")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == "policies/config/qa.json:1:1: no policy config file for environment 'qa'; create it (start from policies/config/dev.json)"


def test_environments_and_manifests_are_exclusive(capsys):
    code, _, err = _check(capsys, "dev", "--manifests", str(SEEDS))
    assert (code, err) == (64, "modelfleet check: error: check either environments or --manifests, not both (--env picks the policy config for manifests)\n")


# -- the policy config, reconciled and validated as the Pulumi CLI does ------------------------------------------------

def _reconcile(pack, tmp_path: Path, text: str):
    path = tmp_path / "prod.json"
    path.write_text(text, encoding="utf-8")
    return reconcile(path, "policies/config/prod.json", pack.process.policies)


def test_config_starts_from_the_rules_defaults(pack, tmp_path):
    config = _reconcile(pack, tmp_path, '{"all": "advisory", "gpu-budget": {"maxGpus": 4}, "pinned-image": "mandatory"}\n')
    assert config["gpu-budget"] == ("advisory", {"maxGpus": 4})
    assert config["pinned-image"] == ("mandatory", {})
    assert config["gpu-toleration"] == ("advisory", {"taintKeys": ["nvidia.com/gpu"]})
    assert config["min-replicas"] == ("advisory", {"minReplicas": 1})


def test_config_errors_are_located(pack, tmp_path):
    text = '{\n  "gpu-tolerations": "mandatory",\n  "gpu-budget": {"maxGpus": "lots"},\n  "min-replicas": {"enforcementLevel": "strict", "minReplicas": 0},\n  "pinned-image": 3\n}\n'
    with pytest.raises(SpecError) as error:
        _reconcile(pack, tmp_path, text)
    assert [str(problem) for problem in error.value.problems] == [
        "policies/config/prod.json:2:3: gpu-tolerations: the pack has no policy 'gpu-tolerations'; did you mean 'gpu-toleration'?",
        "policies/config/prod.json:3:18: gpu-budget.maxGpus: 'lots' is not of type 'number'",
        "policies/config/prod.json:4:20: min-replicas.enforcementLevel: 'strict' is not one of ['advisory', 'mandatory', 'remediate', 'disabled']",
        "policies/config/prod.json:4:50: min-replicas.minReplicas: 0 is less than the minimum of 1",
        "policies/config/prod.json:5:3: pinned-image: must be an enforcement level or an object of enforcementLevel and properties",
    ]


def test_config_is_strict_json_as_for_the_pulumi_cli(pack, tmp_path):
    with pytest.raises(SpecError) as error:
        _reconcile(pack, tmp_path, '{\n  "gpu-budget": {"maxGpus": 4,}\n}\n')
    assert [str(problem) for problem in error.value.problems] == ["policies/config/prod.json:2:31: invalid JSON: Expecting property name enclosed in double quotes; fix the syntax"]
    with pytest.raises(SpecError) as error:
        _reconcile(pack, tmp_path, '{"pinned-image": "advisory", "pinned-image": "mandatory"}')
    assert [str(problem) for problem in error.value.problems] == ["policies/config/prod.json:1:30: pinned-image: duplicate key 'pinned-image' (first at line 1); remove one of them"]


# -- the pack process -------------------------------------------------------------------------------------------------

def test_pack_process_stops_when_the_check_fails():
    with pytest.raises(RuntimeError), PolicyPackProcess(ROOT / "policies", "modelfleet", "test") as process:
        pid = process.pid
        raise RuntimeError("a failure while checking")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_pack_that_cannot_start_is_reported_with_its_output(tmp_path):
    (tmp_path / "__main__.py").write_text('raise RuntimeError("the pack is broken")\n', encoding="utf-8")
    with pytest.raises(PolicyPackError, match=r"failed to start \(exit code 1\)(.|\n)*RuntimeError: the pack is broken"):
        with PolicyPackProcess(tmp_path, "modelfleet", "test"):
            pass


def test_interrupted_check_exits_130(capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("modelfleet.check.check.check_manifests", interrupted)
    code, out, err = _check(capsys, "--manifests", str(SEEDS))
    assert (code, out, err) == (130, "", "modelfleet check: interrupted\n")


# -- documentation -----------------------------------------------------------------------------------------------------

def _table(text: str, header: str) -> dict[str, list[str]]:
    lines = text[text.index(header) :].splitlines()[2:]
    rows = {}
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_readmes_document_every_rule_with_its_levels_and_config(pack):
    policies = pack.process.policies
    configs = {env: reconcile(ROOT / "policies" / "config" / f"{env}.json", env, policies) for env in ("dev", "staging", "prod")}
    text = (ROOT / "policies" / "README.md").read_text(encoding="utf-8")
    documented = _table(text, "| rule | type | default | dev | staging | prod | config keys |")
    expected = {
        name: [
            "stack" if policy.stack else "resource",
            policy.level,
            *(configs[env][name][0] for env in ("dev", "staging", "prod")),
            ", ".join(f"`{key}`" for key in policy.config_schema) or "—",
        ]
        for name, policy in policies.items()
    }
    assert documented == expected
    assert re.findall(r"^### (\S+)$", text, re.MULTILINE) == list(policies)
    main_readme = _table((ROOT / "README.md").read_text(encoding="utf-8"), "| rule | checks | default level |")
    assert list(main_readme) == list(policies)
    assert all(row[1].startswith(policies[name].level) for name, row in main_readme.items())
