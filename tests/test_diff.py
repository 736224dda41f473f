"""`modelfleet diff`: object changes, serving impact and policy deltas between two sides, its report formats
and exit codes, on the hand-written pair in tests/diff_fixtures/ and on real git repositories made here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from modelfleet.cli import main
from modelfleet.diff.compare import compare
from modelfleet.diff.object_diff import ABSENT, FieldChange, field_changes, object_changes
from modelfleet.diff.policy_delta import Violation, policy_delta
from modelfleet.diff.report import MARKER, comment_markdown, markdown_report
from modelfleet.diff.serving import serving_summaries
from modelfleet.diff.sources import rendered_directory
from modelfleet.load.project import Project
from tests.conftest import ROOT
from tests.golden import GOLDEN_DIFF, fixture_diff, text_diff

FIXTURES = ROOT / "tests" / "diff_fixtures"


@pytest.fixture(scope="module")
def result():
    return fixture_diff()


def env_diff(result, name):
    return next(env for env in result.environments if env.env == name)


# --- field changes ----------------------------------------------------------------------------------------


def test_named_items_are_matched_by_name_not_by_index():
    old = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    new = {"env": [{"name": "NEW", "value": "0"}, {"name": "A", "value": "1"}, {"name": "B", "value": "3"}]}
    assert field_changes(old, new) == [
        FieldChange("env[name=B].value", "2", "3"),
        FieldChange("env[name=NEW]", ABSENT, {"name": "NEW", "value": "0"}),
    ]


def test_tolerations_are_matched_by_key_and_worker_groups_by_group_name():
    old = {"tolerations": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}], "groups": [{"groupName": "gpu", "replicas": 1}]}
    new = {"tolerations": [{"key": "spot", "effect": "NoSchedule"}, {"key": "nvidia.com/gpu", "effect": "NoExecute"}], "groups": [{"groupName": "gpu", "replicas": 2}]}
    assert field_changes(old, new) == [
        FieldChange("groups[groupName=gpu].replicas", 1, 2),
        FieldChange("tolerations[key=nvidia.com/gpu].effect", "NoSchedule", "NoExecute"),
        FieldChange("tolerations[key=spot]", ABSENT, {"key": "spot", "effect": "NoSchedule"}),
    ]


def test_items_without_a_unique_name_fall_back_to_positions():
    old = {"items": [{"name": "a", "v": 1}, {"name": "a", "v": 2}]}
    new = {"items": [{"name": "a", "v": 1}, {"name": "a", "v": 3}]}
    assert field_changes(old, new) == [FieldChange("items[1].v", 2, 3)]


def test_arguments_inserted_or_removed_are_shown_one_by_one():
    assert field_changes({"args": ["--a", "--b"]}, {"args": ["--a", "--x", "--b"]}) == [FieldChange("args[1]", ABSENT, "--x")]
    assert field_changes({"args": ["--a", "--b", "--c"]}, {"args": ["--a", "--c"]}) == [FieldChange("args[1]", "--b", ABSENT)]
    assert field_changes({"args": ["--a"]}, {"args": ["--b", "--c"]}) == [FieldChange("args", ["--a"], ["--b", "--c"])]


def test_keys_with_dots_are_quoted_and_a_null_differs_from_an_absent_field():
    old = {"metadata": {"annotations": {"serving.kserve.io/deploymentMode": "Knative"}}}
    new = {"metadata": {"annotations": {"serving.kserve.io/deploymentMode": "Standard"}, "labels": None}}
    assert field_changes(old, new) == [
        FieldChange('metadata.annotations["serving.kserve.io/deploymentMode"]', "Knative", "Standard"),
        FieldChange("metadata.labels", ABSENT, None),
    ]


def test_objects_are_matched_by_group_kind_namespace_and_name_not_version():
    old = [{"apiVersion": "ray.io/v1alpha1", "kind": "RayCluster", "metadata": {"name": "c", "namespace": "n"}}]
    new = [{"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "c", "namespace": "n"}}]
    [change] = object_changes(old, new)
    assert (change.status, change.fields) == ("changed", (FieldChange("apiVersion", "ray.io/v1alpha1", "ray.io/v1"),))


# --- serving summary --------------------------------------------------------------------------------------


def test_serving_summary_of_every_backend_from_the_staging_render():
    staging = rendered_directory(ROOT / "tests" / "golden" / "staging", "staging").environments["staging"]
    summaries = {key.name: summary for key, summary in serving_summaries(staging).items()}
    figures = {name: (s.backend, s.gpus_min, s.gpus_max, s.replicas_min, s.replicas_max) for name, s in summaries.items()}
    assert figures["llama-70b"] == ("ray", 32, 32, 1, 1)            # TP 8 x PP 4 on four 8-GPU workers
    assert figures["llama-70b-mn"] == ("kserve", 8, 8, 1, 1)        # head 4 GPUs + one worker of 4 (PP 2)
    assert figures["qwen"][0] == "knative"
    assert summaries["llama-70b"].storage == "meta-llama/Meta-Llama-3-70B-Instruct"
    assert ("max_model_len", "8192") in summaries["llama-70b"].engine_options
    assert summaries["llama-70b-mn"].image is not None and summaries["llama-70b-mn"].image.endswith(":v0.6.3")


def test_kserve_applies_the_runtime_version_to_the_runtime_image_and_appends_the_model_args():
    objects = rendered_directory(FIXTURES / "head" / "dev", "dev").environments["dev"]
    chat = next(summary for key, summary in serving_summaries(objects).items() if key.name == "chat")
    assert chat.image == "vllm/vllm-openai:v0.6.4"
    assert chat.engine_options == (("--port", "8080"), ("--model", "/mnt/models"), ("--disable-log-requests", "true"), ("--max-model-len", "8192"))
    assert (chat.gpus_min, chat.gpus_max, chat.storage) == (1, 4, "s3://models/llama-3-8b-instruct")


def test_engine_options_take_negative_numbers_as_values():
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
        "spec": {"template": {"spec": {"containers": [{"image": "i", "command": ["vllm", "serve", "/mnt/models"],
                                                       "args": ["--seed", "-1", "--enforce-eager", "--port=8080"]}]}}},
    }  # fmt: skip
    [summary] = serving_summaries([deployment]).values()
    assert summary.engine_options == (("--seed", "-1"), ("--enforce-eager", "true"), ("--port", "8080"))


def test_a_knative_service_without_max_scale_is_unbounded():
    service = {
        "apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n"},
        "spec": {"template": {"spec": {"containers": [{"image": "i", "resources": {"limits": {"nvidia.com/gpu": "2"}}}]}}},
    }  # fmt: skip
    [summary] = serving_summaries([service]).values()
    assert (summary.gpus_min, summary.gpus_max, summary.replicas_min, summary.replicas_max) == (0, None, 0, None)


# --- comparing the fixture pair ---------------------------------------------------------------------------


def test_every_kind_of_object_change_in_the_fixture_pair(result):
    dev = env_diff(result, "dev")
    statuses = {change.key.display(): change.status for change in dev.objects}
    assert statuses == {
        "HorizontalPodAutoscaler ml-dev/tgi": "changed",
        "InferenceService ml-dev/chat": "changed",
        "InferenceService ml-dev/summarize": "removed",      # a renamed model: removed ...
        "InferenceService ml-dev/summarize-v2": "added",     # ... and added
        "Service ml-dev/qwen": "changed",
        "ServingRuntime ml-dev/vllm": "changed",
    }
    chat = next(change for change in dev.objects if change.key.name == "chat")
    assert FieldChange("spec.predictor.model.env[name=HF_HUB_OFFLINE]", ABSENT, {"name": "HF_HUB_OFFLINE", "value": "1"}) in chat.fields
    assert [env.status for env in result.environments] == ["changed", "removed", "added"]  # dev, prod, staging


def test_gpu_totals_and_serving_changes(result):
    dev = env_diff(result, "dev")
    assert (dev.gpus_before.at_min, dev.gpus_before.at_max, dev.gpus_after.at_min, dev.gpus_after.at_max) == (4, 9, 4, 15)
    chat = next(change for change in dev.serving if change.key.name == "chat")
    assert {(field.label, field.old, field.new) for field in chat.fields} == {
        ("GPUs at max scale", "2", "4"),
        ("replicas", "1..2", "1..4"),
        ("runtimeVersion", "v0.6.3", "v0.6.4"),
        ("image", "vllm/vllm-openai:v0.6.3", "vllm/vllm-openai:v0.6.4"),
        ("storage", "s3://models/llama-3-8b", "s3://models/llama-3-8b-instruct"),
        ("engine --max-model-len", "4096", "8192"),
        ("engine --disable-log-requests", None, "true"),
    }
    qwen = next(change for change in dev.serving if change.key.name == "qwen")
    assert [(field.label, field.old, field.new) for field in qwen.fields] == [("autoscaling autoscaling.knative.dev/target", "4", "2")]


def test_policy_deltas_new_fixed_and_changed(result):
    dev = env_diff(result, "dev").policy
    assert [(v.level, v.policy, v.resource) for v in dev.new] == [("mandatory", "gpu-toleration", "InferenceService ml-dev/summarize-v2")]
    assert [(v.level, v.policy, v.resource) for v in dev.fixed] == [("mandatory", "gpu-toleration", "Service ml-dev/qwen")]
    assert [(v.policy, v.resource) for v in dev.changed] == [("pinned-image", "ServingRuntime ml-dev/vllm")]
    assert env_diff(result, "prod").policy is None  # a removed environment is not checked
    assert result.mandatory == 1 and result.exit_code == 1


def test_a_budget_exceeded_further_is_a_changed_violation_not_a_new_and_a_fixed_one():
    base = [Violation("mandatory", "gpu-budget", "stack", "uses 20 GPUs at max scale; the budget is 16")]
    head = [Violation("mandatory", "gpu-budget", "stack", "uses 28 GPUs at max scale; the budget is 16")]
    delta = policy_delta(base, head)
    assert (delta.new, delta.fixed, delta.changed, delta.head_mandatory) == ((), (), tuple(head), 1)


def test_exit_codes_no_change_and_changes():
    same = rendered_directory(FIXTURES / "base", "base")
    assert compare(Project.at(ROOT), same, same, with_policy=False).exit_code == 0
    assert fixture_diff(with_policy=False).exit_code == 2


def test_markdown_report_matches_the_golden_file(result):
    """Regenerate with `make golden` and review the diff of tests/golden/diff.md."""
    text = markdown_report(result)
    assert text.startswith(MARKER + "\n")
    difference = text_diff(GOLDEN_DIFF.read_text(encoding="utf-8"), text, "diff.md")
    assert not difference, f"the report differs from tests/golden/diff.md (if intended: make golden, review git diff):\n{difference}"


def test_a_report_too_long_for_a_comment_drops_the_field_details(result, monkeypatch):
    import modelfleet.diff.report as report

    full = markdown_report(result)
    monkeypatch.setattr(report, "COMMENT_LIMIT", len(full) - 1)
    short = comment_markdown(result)
    assert short.startswith(MARKER) and "spec.predictor.maxReplicas" not in short and "Field details left out" in short
    assert "| dev | 1 added, 4 changed, 1 removed | 4 | 9 → 15 (+6) |" in short


def test_cli_formats_and_exit_codes(capsys):
    base, head = str(FIXTURES / "base"), str(FIXTURES / "head")
    assert main(["diff", base, head, "--project", str(ROOT), "--format", "json", "--env", "dev"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [env["environment"] for env in document["environments"]] == ["dev"]
    assert document["environments"][0]["gpus"] == {"before": {"atMin": 4, "atMax": 9}, "after": {"atMin": 4, "atMax": 15}}
    assert (document["exitCode"], document["mandatory"]) == (1, 1)
    assert main(["diff", base, head, "--project", str(ROOT), "--no-policy", "--color", "always"]) == 2
    out = capsys.readouterr().out
    assert "\033[32m+ InferenceService ml-dev/summarize-v2\033[0m" in out and out.rstrip().endswith("Result: changes (exit 2)")
    assert main(["diff", base, base, "--project", str(ROOT), "--no-policy"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("Result: no change (exit 0)")


# --- git revisions ----------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=modelfleet", "-c", "user.email=modelfleet@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


def snapshot_of_tree(repo: Path) -> dict[str, bytes]:
    return {str(path.relative_to(repo)): path.read_bytes() for path in sorted(repo.rglob("*")) if path.is_file() and ".git" not in path.parts}


@pytest.fixture
def repo(tmp_path):
    """A git repository holding a copy of this project (compiler, pack, stacks) in a subdirectory."""
    repo = tmp_path / "repo"
    project = repo / "serving"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("modelfleet", "components", "policies", "stacks", "runtime-image"):
        shutil.copytree(ROOT / name, project / name, ignore=ignore)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    git(repo, "init", "-q", "-b", "main")
    return project


def run_diff(project: Path, *args: str) -> int:
    return main(["diff", *args, "--project", str(project)])


def test_two_commits_compiled_by_their_own_revision_without_touching_the_working_tree(repo, capsys):
    (repo.parent / "README.md").write_text("serving config\n")
    git(repo.parent, "add", "README.md")
    git(repo.parent, "commit", "-q", "-m", "before the project")  # a revision with no modelfleet project
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-q", "-m", "first")
    stack = repo / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("maxModelLen: 4096}", "maxModelLen: 8192}"))
    git(repo.parent, "commit", "-q", "-am", "longer context in dev")
    stack.write_text(stack.read_text().replace("- name: granite\n", "- name: granite\n      enabled: false\n"))  # uncommitted
    before = snapshot_of_tree(repo.parent)
    status = git(repo.parent, "status", "--porcelain")

    assert run_diff(repo, "HEAD~1", "HEAD", "--no-policy") == 2
    out = capsys.readouterr().out
    assert "modelfleet diff: HEAD~1 (" in out and "engine --max-model-len: 4096 → 8192" in out
    assert "prod: no change" in out

    assert run_diff(repo, "HEAD", "--no-policy", "--env", "dev") == 2  # against the working tree
    assert "- InferenceService ml-dev/granite" in capsys.readouterr().out

    qa = repo / "stacks" / "Pulumi.qa.yaml"  # a new environment, with no history
    qa.write_text(stack.read_text().replace("namespace: ml-dev", "namespace: ml-qa"))
    prod = repo / "stacks" / "Pulumi.prod.yaml"
    prod_text = prod.read_text()
    prod.unlink()  # a deleted environment
    assert run_diff(repo, "HEAD", "--no-policy", "--format", "json") == 2
    statuses = {env["environment"]: env["status"] for env in json.loads(capsys.readouterr().out)["environments"]}
    assert statuses == {"dev": "changed", "prod": "removed", "qa": "added", "staging": "unchanged"}
    assert run_diff(repo, "HEAD", "--env", "qa") == 1  # checking a new environment needs its policy config
    assert "policies/config/qa.json:1:1: no policy config file for environment 'qa'" in capsys.readouterr().err
    qa.unlink()
    prod.write_text(prod_text)

    assert run_diff(repo, "HEAD~2", "HEAD", "--format", "json", "--no-policy") == 2
    document = json.loads(capsys.readouterr().out)
    assert document["notes"][0].endswith("has no Pulumi.yaml at serving/: every environment is new")
    assert {env["status"] for env in document["environments"]} == {"added"}

    assert snapshot_of_tree(repo.parent) == before
    assert git(repo.parent, "status", "--porcelain") == status
    assert len(git(repo.parent, "worktree", "list").splitlines()) == 1


def test_a_revision_that_does_not_compile_is_an_error_located_in_that_revision(repo, capsys):
    stack = repo / "stacks" / "Pulumi.dev.yaml"
    good = stack.read_text()
    stack.write_text(good.replace("maxModelLen: 4096", "maxModelLength: 4096"))
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-q", "-m", "broken")
    stack.write_text(good)  # fixed in the working tree
    assert run_diff(repo, "HEAD", "--no-policy") == 1
    err = capsys.readouterr().err
    assert "HEAD:stacks/Pulumi.dev.yaml:" in err and "maxModelLength" in err and "Traceback" not in err
    assert err.rstrip().endswith("diff failed: a side could not be compiled or read")


def test_an_unknown_revision_is_a_one_line_error(repo, capsys):
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-q", "-m", "first")
    assert run_diff(repo, "no-such-branch", "--no-policy") == 1
    assert "no-such-branch: neither a directory nor a commit of this repository" in capsys.readouterr().err
    assert run_diff(repo, "nope-1", "nope-2", "--no-policy") == 1  # both sides' problems in one run
    assert [line.split(":")[0] for line in capsys.readouterr().err.splitlines()] == ["nope-1", "nope-2", "diff failed"]


def test_a_change_over_the_gpu_budget_is_a_new_mandatory_violation(repo, capsys):
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-q", "-m", "first")
    stack = repo / "stacks" / "Pulumi.dev.yaml"
    llama = "maxModelLen: 4096}\n      scaling: {minReplicas: 0, maxReplicas: 1}"
    assert llama in stack.read_text()
    stack.write_text(stack.read_text().replace(llama, llama.replace("maxReplicas: 1", "maxReplicas: 20")))
    assert run_diff(repo, "HEAD", "--env", "dev", "--format", "markdown") == 1
    out = capsys.readouterr().out
    assert "| dev | 1 changed | 2 | 9 → 47 (+38) |" in out
    assert "- new: **mandatory** `gpu-budget` on `stack`:" in out


OLD_LAYOUT = "68a56dd0e7141d4f62b971af0f073eb0d91a60c7"
"""The last commit before the compiler became the modelfleet package (it was `components`, and needed a CRD directory)."""


def test_a_revision_of_the_old_layout_is_compiled_by_its_own_compiler(tmp_path, capsys):
    if subprocess.run(["git", "cat-file", "-e", f"{OLD_LAYOUT}^{{commit}}"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip(f"this clone lacks the history of {OLD_LAYOUT[:12]} (a shallow clone): fetch it to run this test")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    archive = subprocess.run(["git", "archive", "--format=tar", OLD_LAYOUT], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive.stdout, check=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "old layout")
    for name in ("modelfleet", "components", "policies", "stacks", "runtime-image"):
        shutil.rmtree(repo / name, ignore_errors=True)
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    assert not (repo / "components" / "cli.py").exists() and (repo / "modelfleet" / "cli.py").exists()
    assert run_diff(repo, "HEAD", "--no-policy", "--format", "json") in (0, 2)
    captured = capsys.readouterr()
    assert captured.err == ""
    document = json.loads(captured.out)
    assert sorted(env["environment"] for env in document["environments"]) == ["dev", "prod", "staging"]
    assert document["base"].startswith("HEAD (")


# --- KV-cache capacity ------------------------------------------------------------------------------------


def _annotated_deployment(tokens: str, concurrency: str) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "llama", "namespace": "ml-dev",
                     "annotations": {"modelfleet.io/kv-cache-tokens": tokens, "modelfleet.io/max-concurrency": concurrency}},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"image": "i", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}},
    }  # fmt: skip


def test_capacity_changes_are_read_from_the_annotations_and_shown_per_workload():
    from modelfleet.diff.serving_changes import serving_changes

    [change] = serving_changes(serving_summaries([_annotated_deployment("410000", "50.05")]),
                               serving_summaries([_annotated_deployment("205000", "25.02")]))
    assert [(field.label, field.old, field.new) for field in change.fields] == [
        ("KV capacity", "410,000 tokens", "205,000 tokens"),
        ("max concurrency", "50.05x", "25.02x"),
    ]


def test_the_rendered_stacks_record_the_capacity_the_diff_reads():
    staging = rendered_directory(ROOT / "tests" / "golden" / "staging", "staging").environments["staging"]
    summaries = {key.name: summary for key, summary in serving_summaries(staging).items()}
    assert (summaries["llama-vllm"].kv_tokens, summaries["llama-vllm"].max_concurrency) == (444784, "54.29")
    assert summaries["llm-cluster"].kv_tokens is None  # a standalone Ray cluster serves no model


def test_a_change_that_stops_fitting_is_an_error_of_the_head_side(repo, capsys):
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-q", "-m", "first")
    stack = repo / "stacks" / "Pulumi.dev.yaml"
    text = stack.read_text()
    stack.write_text(text.replace("engine: {tensorParallelSize: 2, maxModelLen: 4096}", "engine: {tensorParallelSize: 2, maxModelLen: 4096, kvCacheDtype: fp8}"))
    assert run_diff(repo, "HEAD", "--env", "dev", "--no-policy") == 2
    out = capsys.readouterr().out
    assert "    KV capacity: 97,376 tokens → 194,768 tokens" in out and "    max concurrency: 23.77x → 47.55x" in out
    stack.write_text(text.replace("gpu: {pool: v100, count: 2}\n      sharedMemory: 8Gi\n      engine: {tensorParallelSize: 2, maxModelLen: 4096}",
                                  "gpu: {pool: v100}\n      engine: {maxModelLen: 4096}"))
    assert run_diff(repo, "HEAD", "--env", "dev", "--no-policy") == 1
    err = capsys.readouterr().err
    assert "models[1].gpu: llama-3-8b 16-bit weights take 14.96 GiB on each of its 1 GPU(s)" in err
    assert err.rstrip().endswith("diff failed: a side could not be compiled or read")


# --- KServe canary traffic --------------------------------------------------------------------------------


def _canary_tree(root: Path, knative_percent: int, standard_percent: int) -> Path:
    """A rendered dev tree with a Knative-mode canary (canaryTrafficPercent) and a Standard-mode one (spec.canary[])."""
    tree = root / "dev"
    tree.mkdir(parents=True)
    (tree / ".modelfleet-rendered").write_text("")
    model = {"modelFormat": {"name": "sklearn"}, "runtime": "kserve-sklearnserver", "storageUri": "gs://models/iris/2"}
    knative = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "iris", "namespace": "ml-dev"},
               "spec": {"predictor": {"canaryTrafficPercent": knative_percent, "model": model}}}
    standard = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                "metadata": {"name": "iris-raw", "namespace": "ml-dev", "annotations": {"serving.kserve.io/deploymentMode": "Standard"}},
                "spec": {"predictor": {"model": model}, "canary": [{"trafficPercent": standard_percent, "predictor": {"name": "next", "model": {"name": "kserve-container", **model}}}]}}
    for obj in (knative, standard):
        (tree / f"inferenceservice.serving.kserve.io_ml-dev_{obj['metadata']['name']}.yaml").write_text(json.dumps(obj))
    return root


def test_a_canary_traffic_shift_is_shown_as_such_in_text_markdown_and_json(tmp_path, capsys):
    base, head = str(_canary_tree(tmp_path / "base", 10, 20)), str(_canary_tree(tmp_path / "head", 50, 100))
    assert main(["diff", base, head, "--project", str(ROOT), "--no-policy"]) == 2
    text = capsys.readouterr().out
    assert "    canary: 10% → 50%" in text and "    canary next: 20% → 100%" in text
    assert main(["diff", base, head, "--project", str(ROOT), "--no-policy", "--format", "markdown"]) == 2
    markdown = capsys.readouterr().out
    assert "| InferenceService ml-dev/iris | canary | `10%` | `50%` |" in markdown
    assert "| InferenceService ml-dev/iris-raw | canary next | `20%` | `100%` |" in markdown
    assert main(["diff", base, head, "--project", str(ROOT), "--no-policy", "--format", "json"]) == 2
    [environment] = json.loads(capsys.readouterr().out)["environments"]
    fields = {change["after"]["traffic"][0][0]: change["fields"] for change in environment["serving"]}
    assert fields == {"canary": [{"label": "canary", "old": "10%", "new": "50%"}],
                      "canary next": [{"label": "canary next", "old": "20%", "new": "100%"}]}


# --- Knative Service traffic ---------------------------------------------------------------------------------------


def _knative_traffic_tree(root: Path, canary_percent: int) -> Path:
    """A rendered dev tree with a Knative Service splitting traffic between its stable revision and the latest."""
    tree = root / "dev"
    tree.mkdir(parents=True)
    (tree / ".modelfleet-rendered").write_text("")
    service = {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "qwen", "namespace": "ml-dev"},
               "spec": {"template": {"metadata": {"name": "qwen-45f50158"}, "spec": {"containers": [{"image": "vllm/vllm-openai:v0.6.3"}]}},
                        "traffic": [{"tag": "stable", "revisionName": "qwen-ea6a838b", "percent": 100 - canary_percent},
                                    {"tag": "canary", "latestRevision": True, "percent": canary_percent}]}}
    (tree / "service.serving.knative.dev_ml-dev_qwen.yaml").write_text(json.dumps(service))
    return root


def test_a_knative_traffic_shift_is_shown_as_such_in_text_markdown_and_json(tmp_path, capsys):
    base, head = str(_knative_traffic_tree(tmp_path / "base", 10)), str(_knative_traffic_tree(tmp_path / "head", 50))
    assert main(["diff", base, head, "--project", str(ROOT), "--no-policy"]) == 2
    text = capsys.readouterr().out
    assert "    traffic canary: 10% → 50%" in text and "    traffic stable: 90% → 50%" in text
    assert main(["diff", base, head, "--project", str(ROOT), "--no-policy", "--format", "markdown"]) == 2
    markdown = capsys.readouterr().out
    assert "| Service ml-dev/qwen | traffic canary | `10%` | `50%` |" in markdown
    assert "| Service ml-dev/qwen | traffic stable | `90%` | `50%` |" in markdown
    assert main(["diff", base, head, "--project", str(ROOT), "--no-policy", "--format", "json"]) == 2
    [change] = json.loads(capsys.readouterr().out)["environments"][0]["serving"]
    assert change["fields"] == [{"label": "traffic canary", "old": "10%", "new": "50%"}, {"label": "traffic stable", "old": "90%", "new": "50%"}]
    assert change["after"]["traffic"] == [["traffic stable", "50%"], ["traffic canary", "50%"]]


def test_a_revision_with_this_compiler_is_compiled_in_process_and_another_in_its_own(repo, monkeypatch, capsys):
    """Byte-identical compiler: compiled here (no second interpreter); any difference: the revision's own process."""
    from modelfleet.diff import sources

    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-q", "-m", "first")
    children = []
    monkeypatch.setattr(sources, "_run_child", lambda *args: children.append(args) or pytest.fail("a child compiler ran"))
    assert run_diff(repo, "HEAD", "--no-policy") == 0 and children == []
    marker = repo / "modelfleet" / "__init__.py"
    marker.write_text(marker.read_text() + "# changed\n")
    git(repo.parent, "commit", "-q", "-am", "another compiler")
    marker.write_text(marker.read_text().replace("# changed\n", ""))
    monkeypatch.undo()
    ran = []
    original = sources._run_child
    monkeypatch.setattr(sources, "_run_child", lambda *args: ran.append(args[0]) or original(*args))
    assert run_diff(repo, "HEAD", "--no-policy") == 0
    assert len(ran) == 1 and ran[0][2:4] == ["modelfleet.cli", "render"]
    capsys.readouterr()
