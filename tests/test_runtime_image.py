"""runtime-image/: the Dockerfile lints clean, and the entrypoint builds the exact engine argv or fails in one line."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelfleet.image_lock import read_dockerfile_base
from tests.conftest import ROOT

IMAGE_DIR = ROOT / "runtime-image"
DOCKERFILE = IMAGE_DIR / "Dockerfile"
ENTRYPOINT = IMAGE_DIR / "modelfleet_entrypoint.py"
HADOLINT = Path(sys.executable).parent / "hadolint"

_spec = importlib.util.spec_from_file_location("modelfleet_entrypoint", ENTRYPOINT)
entrypoint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(entrypoint)

GOOD = {"engine": "vllm", "engineVersion": "0.28.0", "model": "org/name"}
HEAD = ["vllm", "serve", "--model", "org/name", "--host", "0.0.0.0", "--port", "8080"]
KNOWN = "known: engine, engineVersion, model, servedModelName, port, args"
ENV = "modelfleet-entrypoint: MODELFLEET_ENGINE_CONFIG:"


def hadolint(dockerfile: Path) -> list[dict]:
    assert HADOLINT.exists(), "hadolint not installed: venv/bin/python -m pip install -r requirements-dev.txt"
    config = IMAGE_DIR / ".hadolint.yaml"
    result = subprocess.run(
        [str(HADOLINT), "--config", str(config), "--format", "json", str(dockerfile)], capture_output=True, text=True
    )
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_dockerfile_has_no_hadolint_finding():
    assert hadolint(DOCKERFILE) == []


def test_hadolint_reports_what_the_project_requires(tmp_path):
    """The clean result above means something: the same settings flag a shell-form entrypoint and missing OCI labels."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM vllm/vllm-openai:v0.28.0\nENTRYPOINT python3 /entrypoint.py\n")
    codes = sorted({finding["code"] for finding in hadolint(bad)})
    assert codes == ["DL3025", "DL3049"]


def test_image_runs_the_entrypoint_as_a_numeric_non_root_user():
    instructions = [line.split(None, 1) for line in DOCKERFILE.read_text().splitlines() if line and line[0].isupper()]
    user = [rest for keyword, rest in instructions if keyword == "USER"][-1]
    assert user.isdigit() and int(user) != 0
    command = json.loads([rest for keyword, rest in instructions if keyword == "ENTRYPOINT"][-1])
    copied = [rest.split()[-1] for keyword, rest in instructions if keyword == "COPY"]
    assert command[0] == "python3" and command[1] in copied and command[1].endswith(ENTRYPOINT.name)


# --- the entrypoint -------------------------------------------------------------------------------


def fake_vllm(root: Path, version: str) -> Path:
    """A site directory where importlib.metadata finds vllm `version`; nothing else of vLLM is needed."""
    dist = root / "site" / f"vllm-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vllm\nVersion: {version}\n")
    return root / "site"


@pytest.fixture(autouse=True)
def no_default_file(tmp_path, monkeypatch):
    """Keep a real /etc/modelfleet/engine.json on this machine out of the tests."""
    monkeypatch.setattr(entrypoint, "DEFAULT_CONFIG_FILE", str(tmp_path / "etc" / "engine.json"))


@pytest.fixture
def install(tmp_path, monkeypatch):
    def install(version: str = "0.28.0") -> None:
        monkeypatch.syspath_prepend(str(fake_vllm(tmp_path / version, version)))

    return install


def env(config: dict) -> dict[str, str]:
    return {"MODELFLEET_ENGINE_CONFIG": json.dumps(config)}


def dry_run(capsys, environ: dict[str, str], *extra: str) -> tuple[int, list[str] | None, list[str]]:
    code = entrypoint.main(["--print", *extra], environ)
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err.splitlines()


def test_minimal_configuration(capsys, install):
    install()
    assert dry_run(capsys, env(GOOD)) == (0, HEAD, [])


def test_every_key_and_extra_arguments_after_the_configured_ones(capsys, install, tmp_path):
    install()
    model = tmp_path / "models"
    model.mkdir()
    args = ["--max-model-len", "4096", "--enforce-eager"]
    config = env({**GOOD, "model": str(model), "servedModelName": "llama", "port": 9000, "args": args})
    code, argv, err = dry_run(capsys, config, "--max-num-seqs=8")
    assert (code, err) == (0, [])
    assert argv == [
        "vllm", "serve", "--model", str(model), "--host", "0.0.0.0", "--port", "9000",
        "--served-model-name", "llama", "--max-model-len", "4096", "--enforce-eager", "--max-num-seqs=8",
    ]  # fmt: skip


def test_kserve_style_served_model_name_on_the_command_line(capsys, install):
    install()
    assert dry_run(capsys, env(GOOD), "--served-model-name={{.Name}}") == (0, [*HEAD, "--served-model-name={{.Name}}"], [])


def test_default_model_path(capsys, install, tmp_path, monkeypatch):
    install()
    monkeypatch.setitem(entrypoint.DEFAULTS, "model", str(tmp_path))
    code, argv, _ = dry_run(capsys, env({"engine": "vllm", "engineVersion": "0.28.0"}))
    assert code == 0 and argv[2:4] == ["--model", str(tmp_path)]


def test_local_version_label_of_the_installed_vllm_is_ignored(capsys, install):
    install("0.28.0+cu129")
    assert dry_run(capsys, env(GOOD))[0] == 0


def test_before_vllm_0_8_3_the_legacy_server_module_is_started(capsys, install):
    install("0.6.3")
    code, argv, _ = dry_run(capsys, env({**GOOD, "engineVersion": "0.6.3"}))
    assert code == 0 and argv[:3] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server"] and argv[3:] == HEAD[2:]


def test_environment_keys_override_the_file(capsys, install, tmp_path):
    install()
    config_file = tmp_path / "engine.json"
    config_file.write_text(json.dumps({**GOOD, "port": 9000, "servedModelName": "from-file"}))
    environ = {"MODELFLEET_ENGINE_CONFIG_FILE": str(config_file), **env({"port": 8000})}
    assert dry_run(capsys, environ) == (0, [*HEAD[:-1], "8000", "--served-model-name", "from-file"], [])


def test_the_default_file_is_read_when_it_exists(capsys, install):
    install()
    default = Path(entrypoint.DEFAULT_CONFIG_FILE)
    default.parent.mkdir()
    default.write_text(json.dumps(GOOD))
    assert dry_run(capsys, {}) == (0, HEAD, [])


@pytest.mark.parametrize(
    "config, extra, error",
    [
        ({"engine": "vllm"}, [], 'modelfleet-entrypoint: engine configuration: "engineVersion" is required'),
        ({**GOOD, "modelName": "x"}, [], f'{ENV} "modelName" is not a known key ({KNOWN})'),
        ({**GOOD, "engine": "tgi"}, [], f'{ENV} "engine" must be "vllm", got "tgi"'),
        ({**GOOD, "engineVersion": 0.28}, [], f'{ENV} "engineVersion" must be a non-empty string, got 0.28'),
        ({**GOOD, "servedModelName": ""}, [], f'{ENV} "servedModelName" must be a non-empty string, got ""'),
        ({**GOOD, "port": "8080"}, [], f'{ENV} "port" must be a whole number from 1 to 65535, got "8080"'),
        ({**GOOD, "port": True}, [], f'{ENV} "port" must be a whole number from 1 to 65535, got true'),
        ({**GOOD, "port": 65536}, [], f'{ENV} "port" must be a whole number from 1 to 65535, got 65536'),
        ({**GOOD, "args": "--enforce-eager"}, [], f'{ENV} "args" must be a list of strings, got "--enforce-eager"'),
        ({**GOOD, "args": ["--max-num-seqs", 8]}, [], f'{ENV} "args" item 1 must be a string, got 8'),
        ({**GOOD, "args": ["--port", "1"]}, [], f'{ENV} "args" must not contain --port: the entrypoint sets it from "port"'),
        ({**GOOD, "args": ["--model=x"]}, [], f'{ENV} "args" must not contain --model: the entrypoint sets it from "model"'),
        (
            {**GOOD, "args": ["--served_model_name", "x"]},
            [],
            f'{ENV} "args" must not contain --served-model-name: the entrypoint sets it from "servedModelName"',
        ),
        ({**GOOD, "args": ["--host=::"]}, [], f'{ENV} "args" must not contain --host: the entrypoint always sets it to 0.0.0.0'),
        (
            {**GOOD, "engineVersion": "0.27.0"},
            [],
            "modelfleet-entrypoint: the image has vllm 0.28.0 but the engine arguments were compiled for vllm 0.27.0: "
            "the image and the compiled flags disagree",
        ),
        (
            {**GOOD, "model": "/nonexistent/models"},
            [],
            f'{ENV} "model" "/nonexistent/models" does not exist and is not a hub id (org/name)',
        ),
        (GOOD, ["--port=9000"], 'modelfleet-entrypoint: command-line argument --port repeats a flag: the entrypoint sets it from "port"'),
        (
            {**GOOD, "servedModelName": "a"},
            ["--served-model-name", "b"],
            'modelfleet-entrypoint: command-line argument --served-model-name repeats a flag: the entrypoint sets it from "servedModelName"',
        ),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(capsys, install, config, extra, error):
    install()
    assert dry_run(capsys, env(config), *extra) == (2, None, [error])


@pytest.mark.parametrize(
    "text, error",
    [
        ("{", "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        ("[]", "must be a JSON object, got a list"),
    ],
)
def test_unreadable_configuration(capsys, install, text, error):
    install()
    assert dry_run(capsys, {"MODELFLEET_ENGINE_CONFIG": text}) == (2, None, [f"{ENV} {error}"])


def test_problems_name_the_file_they_come_from(capsys, install, tmp_path):
    install()
    config_file = tmp_path / "engine.json"
    config_file.write_text(json.dumps({**GOOD, "port": 0}))
    environ = {"MODELFLEET_ENGINE_CONFIG_FILE": str(config_file), **env({"args": ["--host", "::"]})}
    assert dry_run(capsys, environ)[2] == [
        f'modelfleet-entrypoint: {config_file}: "port" must be a whole number from 1 to 65535, got 0',
        f'{ENV} "args" must not contain --host: the entrypoint always sets it to 0.0.0.0',
    ]


def test_a_named_file_must_exist(capsys, install, tmp_path):
    install()
    missing = tmp_path / "missing.json"
    error = f"modelfleet-entrypoint: {missing}: cannot read the engine configuration: No such file or directory"
    assert dry_run(capsys, {"MODELFLEET_ENGINE_CONFIG_FILE": str(missing)}) == (2, None, [error])


def test_no_configuration_at_all(capsys, install):
    install()
    error = f"modelfleet-entrypoint: no engine configuration: set MODELFLEET_ENGINE_CONFIG or mount {entrypoint.DEFAULT_CONFIG_FILE}"
    assert dry_run(capsys, {}) == (2, None, [error])


def test_vllm_not_installed(capsys):
    assert dry_run(capsys, env(GOOD)) == (2, None, [f"modelfleet-entrypoint: vllm is not installed for {sys.executable}"])


def test_odd_values_never_raise(capsys, install):
    install()
    odd = [None, True, -1, 1.5, float("nan"), "", "x", [], ["x", 1], {}, {"a": 1}]
    for key, value in itertools.product(["engine", "engineVersion", "model", "servedModelName", "port", "args"], odd):
        assert entrypoint.main(["--print"], env({**GOOD, key: value})) in (0, 2), (key, value)
    capsys.readouterr()


def test_without_print_it_replaces_itself_with_the_engine(install, monkeypatch):
    install()
    calls = []
    monkeypatch.setattr(entrypoint.os, "execvp", lambda file, args: calls.append((file, args)))
    entrypoint.main(["--enable-prefix-caching"], env(GOOD))
    assert calls == [("vllm", [*HEAD, "--enable-prefix-caching"])]


def test_an_engine_that_cannot_start_is_one_line_and_exit_127(capsys, install, monkeypatch):
    install()

    def no_such_file(file, args):
        raise FileNotFoundError(2, "No such file or directory", file)

    monkeypatch.setattr(entrypoint.os, "execvp", no_such_file)
    assert entrypoint.main([], env(GOOD)) == 127
    assert capsys.readouterr().err == "modelfleet-entrypoint: cannot start vllm: No such file or directory\n"


def script_env(tmp_path: Path, vllm_version: str = "0.28.0") -> dict[str, str]:
    empty_file = tmp_path / "engine.json"  # so that a real /etc/modelfleet/engine.json stays out of it
    empty_file.write_text("{}")
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(fake_vllm(tmp_path, vllm_version)),
        "MODELFLEET_ENGINE_CONFIG_FILE": str(empty_file),
    }


def run_script(tmp_path: Path, config: str, *argv: str) -> subprocess.CompletedProcess:
    environ = {**script_env(tmp_path), "MODELFLEET_ENGINE_CONFIG": config}
    return subprocess.run([sys.executable, str(ENTRYPOINT), *argv], env=environ, capture_output=True, text=True)


def test_as_a_script_with_print(tmp_path):
    result = run_script(tmp_path, json.dumps(GOOD), "--print", "--seed", "1")
    assert (result.returncode, json.loads(result.stdout), result.stderr) == (0, [*HEAD, "--seed", "1"], "")


def test_as_a_script_a_bad_configuration_has_no_traceback(tmp_path):
    result = run_script(tmp_path, json.dumps({**GOOD, "port": [8080]}), "--print")
    error = f'{ENV} "port" must be a whole number from 1 to 65535, got a list\n'
    assert (result.returncode, result.stdout, result.stderr) == (2, "", error)


def test_the_dockerfile_verify_stage_rejects_a_base_with_another_vllm(tmp_path):
    """Its RUN, run here with sh and a fake vllm: the Dockerfile's own version passes, any other fails the build."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    run = next(line.removeprefix("RUN ") for line in text.splitlines() if line.startswith("RUN MODELFLEET_ENGINE_CONFIG="))
    version = read_dockerfile_base(DOCKERFILE).version
    environ = script_env(tmp_path, version)

    def build_with(arg: str) -> int:
        command = ["sh", "-c", run.replace("/opt/modelfleet/", f"{IMAGE_DIR}/")]
        return subprocess.run(command, env={**environ, "VLLM_VERSION": arg}, capture_output=True).returncode

    assert (build_with(version), build_with("0.0.1")) == (0, 2)
