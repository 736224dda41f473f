"""The command as CI consumes it (README "CI integration"), each claim checked by running the real command: exit codes,
--version, findings and compile errors located alike in text, JSON and GitHub annotations, the versioned JSON
output against its shipped schema, manifests from standard input, and Ctrl-C (a real SIGINT) without leftovers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from modelfleet import __version__
from modelfleet.output import FORMAT_VERSION, SCHEMA_FILE
from tests.conftest import ROOT

COMMAND = [sys.executable, "-m", "modelfleet.cli"]
FIXTURES = ROOT / "tests" / "diff_fixtures"
CORPUS = ROOT / "tests" / "policy_fixtures" / "corpus"
GOLDEN = ROOT / "tests" / "golden"


def run(*args: str, cwd: Path = ROOT, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env)


def copy_project(tmp_path: Path) -> Path:
    """This project's stacks, policies and engine image lock in a directory of their own."""
    for name in ("stacks", "policies", "runtime-image"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


def line_of(path: Path, text: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `text` in a file."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(f"{text!r} not in {path}")


def broken_project(tmp_path: Path) -> tuple[Path, str]:
    """A copy whose dev stack misspells an engine option; the located problem as the text report prints it."""
    project = copy_project(tmp_path)
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("maxModelLen: 4096", "maxModelLength: 4096"))
    line, column = line_of(stack, "maxModelLength")
    return project, f"stacks/Pulumi.dev.yaml:{line}:{column}"


# --- exit codes ---------------------------------------------------------------------------------------------------


def test_success_is_0():
    result = run("validate", "dev")
    assert (result.returncode, result.stdout) == (0, "dev: 12 objects valid\n")


def test_findings_are_1():
    assert run("check", "--manifests", str(CORPUS), "--env", "prod").returncode == 1


def test_bad_input_is_1_with_every_problem_located(tmp_path):
    project, where = broken_project(tmp_path)
    result = run("validate", "--project", str(project))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"{where}: models[1].engine.maxModelLength: unknown field 'maxModelLength'")
    assert result.stderr.endswith("1 problem(s); nothing written\n")


def test_changes_are_2_for_diff_only():
    assert run("diff", str(FIXTURES / "base"), str(FIXTURES / "head"), "--no-policy").returncode == 2
    assert run("diff", str(GOLDEN), str(GOLDEN), "--no-policy").returncode == 0


@pytest.mark.parametrize("command", ["render", "validate", "check", "diff", "schema"])
def test_a_mistyped_flag_is_a_usage_error_64_never_2(command):
    result = run(command, *(["origin/main"] if command == "diff" else []), "--fromat=json")
    assert (result.returncode, result.stdout) == (64, "")
    assert result.stderr.endswith("modelfleet: error: unrecognized arguments: --fromat=json\n")


def test_a_missing_command_and_arguments_that_do_not_go_together_are_usage_errors():
    assert run().returncode == 64
    result = run("check", "dev", "--manifests", str(CORPUS))
    assert (result.returncode, result.stderr) == (64, "modelfleet check: error: check either environments or --manifests, not both (--env picks the policy config for manifests)\n")


def test_a_reader_that_goes_away_is_141_without_a_traceback():
    """~100 kB of JSON, more than a pipe holds: the writer meets the closed pipe, as under `| head`."""
    process = subprocess.Popen([*COMMAND, "diff", str(FIXTURES / "base"), str(GOLDEN), "--no-policy", "--format", "json"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.read(1) == b"{"
    process.stdout.close()
    assert (process.wait(), process.stderr.read()) == (141, b"")


def test_the_readme_exit_code_table_is_the_commands():
    from modelfleet import cli
    from modelfleet.diff.compare import EXIT_CHANGES

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## CI integration"):text.index("## CI workflows")]
    rows = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    assert rows == [str(code) for code in (cli.EXIT_OK, cli.EXIT_PROBLEMS, EXIT_CHANGES, cli.EXIT_USAGE, cli.EXIT_INTERRUPTED, cli.EXIT_BROKEN_PIPE)]


def test_version_names_the_package_and_the_vendored_schemas():
    from modelfleet.schemas.vendor import versions_summary

    result = run("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"modelfleet {__version__}\n{versions_summary()}\n", "")
    assert "KServe v0.20.0" in result.stdout


# --- findings and compile errors, located at the source value ---------------------------------------------------


def test_a_compiled_finding_is_located_at_the_value_in_the_shared_definitions():
    """The dev runtime's image is written in shared.yaml: text, JSON and annotation all point there."""
    line, column = line_of(ROOT / "stacks" / "shared.yaml", "image: vllm/vllm-openai:v0.6.3")
    where = f"stacks/shared.yaml:{line}:{column}"
    text = run("check", "dev").stdout.splitlines()
    assert text[1:3] == [
        "ServingRuntime ml-dev/vllm-runtime (stacks/Pulumi.dev.yaml)",
        f"  advisory pinned-image at {where}: spec.containers[0].image: 'vllm/vllm-openai:v0.6.3' is pinned by tag only; a tag can be pushed again",
    ]
    findings = json.loads(run("check", "dev", "--format", "json").stdout)["environments"][0]["findings"]
    assert findings[0]["position"] == {"file": "stacks/shared.yaml", "line": line, "column": column}
    annotations = run("check", "dev", "--format", "github").stdout.splitlines()
    assert annotations[0].startswith(f"::warning file=stacks/shared.yaml,line={line},col={column},title=pinned-image (dev)::ServingRuntime ml-dev/vllm-runtime: ")


def test_every_finding_of_the_example_stacks_is_located_at_the_value_it_is_about():
    shared = ROOT / "stacks" / "shared.yaml"

    def at(text: str) -> dict:
        line, column = line_of(shared, text)
        return {"file": "stacks/shared.yaml", "line": line, "column": column}

    vllm_image, tgi_image = at("image: vllm/vllm-openai:v0.6.3"), at("image: ghcr.io/huggingface/text-generation-inference:2.0.4")
    document = json.loads(run("check", "dev", "--format", "json").stdout)
    found = [(f["policy"], f["resource"]["name"], f["position"]) for f in document["environments"][0]["findings"]]
    assert found == [
        ("pinned-image", "vllm-runtime", vllm_image),                       # the runtime's vllm.image
        ("resource-limits", "llama-vllm", at("limits: {memory: 48Gi}")),    # the model's resources.limits
        ("pinned-image", "qwen", vllm_image),                               # a Knative Service runs its runtime's image
        ("pinned-image", "tgi-mistral", tgi_image),                         # the TGI runtime's image
        ("resource-limits", "tgi-mistral", at("limits: {memory: 64Gi}")),
    ]


def test_a_compiled_finding_is_located_at_the_value_in_the_stack_file(tmp_path):
    """prod's min-replicas floor is 2: a model scaled to 1 in Pulumi.prod.yaml is a mandatory finding on that value."""
    project = copy_project(tmp_path)
    stack = project / "stacks" / "Pulumi.prod.yaml"
    stack.write_text(stack.read_text().replace("- name: vllm-llama\n      scaling: {minReplicas: 2, maxReplicas: 2}", "- name: vllm-llama\n      scaling: {minReplicas: 1, maxReplicas: 1}"))
    line, column = line_of(stack, "minReplicas: 1")
    result = run("check", "prod", "--project", str(project), "--format", "github")
    assert result.returncode == 1
    [annotation] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert annotation.startswith(f"::error file=stacks/Pulumi.prod.yaml,line={line},col={column},title=min-replicas (prod)::Deployment ml-prod/vllm-llama: spec.replicas: is 1, below the minimum of 2")


def test_toleration_and_trust_remote_code_findings_are_located_at_the_pool_and_the_engine_option(tmp_path):
    project = copy_project(tmp_path)
    shared, stack = project / "stacks" / "shared.yaml", project / "stacks" / "Pulumi.prod.yaml"
    shared.write_text(shared.read_text().replace("    - name: a100\n", "    - name: a100\n      tolerations: [{key: example.com/reserved}]\n", 1))
    stack.write_text(stack.read_text().replace("engine: {tensorParallelSize: 2,", "engine: {trustRemoteCode: true, tensorParallelSize: 2,", 1))
    tolerations, trust = line_of(shared, "tolerations: [{key: example.com/reserved}]"), line_of(stack, "trustRemoteCode: true")
    document = json.loads(run("check", "prod", "--project", str(project), "--format", "json").stdout)
    found = {(f["policy"], f["resource"]["name"]): f["position"] for f in document["environments"][0]["findings"] if f["level"] == "mandatory"}
    assert found[("gpu-toleration", "granite")] == {"file": "stacks/shared.yaml", "line": tolerations[0], "column": tolerations[1]}
    assert found[("trust-remote-code", "llama-vllm")] == {"file": "stacks/Pulumi.prod.yaml", "line": trust[0], "column": trust[1]}


def test_findings_on_manifests_from_standard_input_are_located_in_it():
    manifest = (GOLDEN / "dev" / "inferenceservice.serving.kserve.io_ml-dev_granite.yaml").read_text()
    line, column = line_of(GOLDEN / "dev" / "inferenceservice.serving.kserve.io_ml-dev_granite.yaml", "minReplicas: 0")
    result = run("check", "--manifests", "-", "--env", "prod", stdin=manifest)
    assert result.returncode == 1
    assert f"  mandatory min-replicas at <stdin>:{line}:{column}: spec.predictor.minReplicas: is 0, below the minimum of 2" in result.stdout.splitlines()


@pytest.mark.parametrize("command", ["render", "validate", "check", "diff"])
def test_compile_errors_are_annotations_on_their_source(tmp_path, command):
    project, where = broken_project(tmp_path)
    file, line, column = where.split(":")
    base = [str(GOLDEN)] if command == "diff" else []
    result = run(command, *base, "--project", str(project), "--format", "github")
    assert result.returncode == 1
    assert result.stdout == (
        f"::error file={file},line={line},col={column},title=modelfleet {command}::models[1].engine.maxModelLength: "
        "unknown field 'maxModelLength'; did you mean 'maxModelLen'?\n"
    )
    assert f"{where}: models[1].engine.maxModelLength:" in result.stderr


# --- versioned JSON, described by the schema shipped in the package -------------------------------------------


@pytest.fixture(scope="module")
def output_schema():
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _documents(tmp_path: Path) -> dict[str, tuple[int, dict]]:
    project, _ = broken_project(tmp_path / "broken")
    runs = {
        "render": ("render", "--out", str(tmp_path / "rendered")),
        "validate": ("validate",),
        "check": ("check",),
        "check manifests": ("check", "--manifests", str(CORPUS), "--env", "prod"),
        "diff": ("diff", str(FIXTURES / "base"), str(FIXTURES / "head")),
        "diff unchanged": ("diff", str(GOLDEN), str(GOLDEN), "--no-policy"),
        "render error": ("render", "--project", str(project)),
        "check error": ("check", "--project", str(project)),
        "diff error": ("diff", "no-such-revision", "--project", str(project)),
    }
    with ThreadPoolExecutor() as pool:
        results = dict(zip(runs, pool.map(lambda args: run(*args, "--format", "json"), runs.values())))
    return {name: (result.returncode, json.loads(result.stdout)) for name, result in results.items()}


def test_json_output_of_every_command_is_versioned_and_valid_against_the_shipped_schema(tmp_path, output_schema):
    documents = _documents(tmp_path)
    for name, (code, document) in documents.items():
        assert [error.message for error in output_schema.iter_errors(document)] == [], name
        assert (document["formatVersion"], document["command"], document["exitCode"]) == (FORMAT_VERSION, name.split()[0], code), name
    assert {name: code for name, (code, _) in documents.items()} == {
        "render": 0, "validate": 0, "check": 0, "check manifests": 1, "diff": 1, "diff unchanged": 0,
        "render error": 1, "check error": 1, "diff error": 1,
    }
    [problem] = documents["render error"][1]["problems"]
    assert problem["path"] == "models[1].engine.maxModelLength" and problem["position"]["file"] == "stacks/Pulumi.dev.yaml"
    assert all(finding["position"] for env in documents["check"][1]["environments"] for finding in env["findings"])


def test_the_schema_rejects_what_the_commands_never_print(output_schema):
    bad = {"formatVersion": 2, "command": "check", "exitCode": 0, "problems": [], "environments": [], "mandatory": 0, "advisory": 0}
    assert [error.message for error in output_schema.iter_errors(bad)] == ["1 was expected"]
    failed = {"formatVersion": 1, "command": "render", "exitCode": 0, "problems": [{"position": None, "path": "", "message": "x"}]}
    assert [error.message for error in output_schema.iter_errors(failed)] == ["1 was expected"]


# --- Ctrl-C: a real SIGINT while the command is busy -----------------------------------------------------------


def _children(pid: int) -> dict[int, str]:
    """The live child processes of `pid` with their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _interrupt_when(process: subprocess.Popen, busy, timeout: float = 60) -> tuple[int, str, str]:
    deadline = time.monotonic() + timeout
    while not busy():
        assert process.poll() is None, f"finished before it was interrupted: {process.communicate()}"
        assert time.monotonic() < deadline, "never got busy"
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def _start(*args: str, cwd: Path, tmp: Path) -> subprocess.Popen:
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen([*COMMAND, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc to see when the command is busy")
def test_ctrl_c_during_render_and_validate_compiling_a_large_project(tmp_path, monkeypatch):
    from benchmarks.commands_benchmark import generate_project

    project = tmp_path / "project"
    generate_project(ROOT, project, models=1000)  # busy for seconds: the interrupt lands while it works
    monkeypatch.setenv("MODELFLEET_YAML_MAX_NODES", "100000000")  # the benchmark's stack files are that large
    before = sorted(path.name for path in project.iterdir())
    for command in ("render", "validate"):
        process = _start(command, "--project", str(project), cwd=project, tmp=tmp_path / f"tmp-{command}")
        code, out, err = _interrupt_when(process, lambda: _cpu_seconds(process.pid) > 1.0)
        assert (code, out, err) == (130, "", f"modelfleet {command}: interrupted\n")
    assert sorted(path.name for path in project.iterdir()) == before  # nothing written, no staging left


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc to see when the command is busy")
def test_ctrl_c_during_check_stops_the_policy_pack(tmp_path):
    process = _start("check", "--protocol", "grpc", cwd=ROOT, tmp=tmp_path / "tmp")
    packs: dict[int, str] = {}

    def pack_running() -> bool:
        packs.update({pid: line for pid, line in _children(process.pid).items() if "pulumi.policy" in line})
        return bool(packs)

    code, out, err = _interrupt_when(process, pack_running)
    assert (code, err) == (130, "modelfleet check: interrupted\n")
    assert [pid for pid in packs if Path(f"/proc/{pid}").exists()] == []


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc to see when the command is busy")
def test_ctrl_c_during_diff_ends_its_compilers_and_removes_their_temporary_directories(tmp_path):
    repo = tmp_path / "repo"
    project = repo / "serving"
    for name in ("modelfleet", "components", "policies", "stacks", "runtime-image"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    marker = project / "modelfleet" / "__init__.py"  # another compiler at HEAD than the one running: its own process
    running = marker.read_text()
    marker.write_text(running + "# the revision's own compiler\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    marker.write_text(running)
    tmp = tmp_path / "tmp"
    process = _start("diff", "HEAD", "--no-policy", cwd=project, tmp=tmp)
    compilers: dict[int, str] = {}

    def compiling() -> bool:
        compilers.update({pid: line for pid, line in _children(process.pid).items() if "modelfleet.cli render" in line})
        return bool(compilers)

    code, out, err = _interrupt_when(process, compiling)
    assert (code, out, err) == (130, "", "modelfleet diff: interrupted\n")
    assert [pid for pid in compilers if Path(f"/proc/{pid}").exists()] == []
    assert list(tmp.iterdir()) == []
