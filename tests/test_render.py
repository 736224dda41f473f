"""`modelfleet render`: deterministic bytes, atomic replace, pruning, ownership, no secret values, kustomize builds."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelfleet.cli import main
from modelfleet.render.files import object_file_name
from modelfleet.render.write import OWNER_MARKER
from tests.conftest import ENVIRONMENTS, ROOT


def tree_digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.rglob("*")) if p.is_file()}


def render(out: Path, *extra: str, project: Path = ROOT) -> int:
    return main(["render", "--project", str(project), "--out", str(out), *extra])


def test_render_writes_every_environment(tmp_path):
    assert render(tmp_path / "out") == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(ENVIRONMENTS)
    dev = tmp_path / "out" / "dev"
    assert (dev / "kustomization.yaml").is_file() and (dev / OWNER_MARKER).is_file()


def test_bytes_identical_across_hash_seeds_locales_and_working_dirs(tmp_path):
    digests = []
    for index, (seed, tz, cwd) in enumerate([("0", "UTC", ROOT), ("12345", "Asia/Shanghai", tmp_path)]):
        out = tmp_path / f"out{index}"
        env = dict(os.environ, PYTHONHASHSEED=seed, TZ=tz, LC_ALL="C.UTF-8")
        subprocess.run([sys.executable, "-m", "modelfleet.cli", "render", "--project", str(ROOT), "--out", str(out)],
                       check=True, env=env, cwd=cwd, capture_output=True)
        digests.append(tree_digest(out))
    assert digests[0] == digests[1] and len(digests[0]) > 20


def test_rerender_prunes_removed_objects_and_replaces_whole_tree(tmp_path, project):
    project.copy_repo_stacks()
    out = tmp_path / "out"
    assert render(out, "dev", project=project.root) == 0
    assert (out / "dev" / "inferenceservice.serving.kserve.io_ml-dev_granite.yaml").is_file()
    stack = project.root / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("    - name: granite\n", "    - name: granite\n      enabled: false\n"))
    assert render(out, "dev", project=project.root) == 0
    assert not (out / "dev" / "inferenceservice.serving.kserve.io_ml-dev_granite.yaml").exists()
    assert "inferenceservice.serving.kserve.io_ml-dev_granite.yaml" not in (out / "dev" / "kustomization.yaml").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["dev"]  # no staging leftovers


def test_refuses_directory_it_did_not_create(tmp_path, capsys):
    foreign = tmp_path / "out" / "dev"
    foreign.mkdir(parents=True)
    (foreign / "mine.yaml").write_text("keep: me\n")
    assert render(tmp_path / "out") == 1
    assert "was not written by modelfleet" in capsys.readouterr().err
    assert (foreign / "mine.yaml").read_text() == "keep: me\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dev"]  # nothing else written either


def test_bad_input_writes_nothing_and_prints_no_traceback(tmp_path, project):
    project.copy_repo_stacks()
    stack = project.root / "stacks" / "Pulumi.prod.yaml"
    text = stack.read_text()
    line = 1 + text[: text.index("maxReplicas: 6")].count("\n")
    stack.write_text(text.replace("maxReplicas: 6", "maxReplicas: 1"))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "modelfleet.cli", "render", "--project", str(project.root), "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"stacks/Pulumi.prod.yaml:{line}:" in result.stderr and "maxReplicas 1 is below minReplicas 2" in result.stderr
    assert not out.exists()


def test_no_secret_objects_or_values_rendered(tmp_path):
    render(tmp_path / "out")
    for path in (tmp_path / "out").rglob("*.yaml"):
        text = path.read_text()
        assert "kind: Secret\n" not in text
        assert "stringData" not in text and "AWS_SECRET_ACCESS_KEY" not in text


def test_file_names_do_not_collide_across_api_groups():
    knative = {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "qwen", "namespace": "a"}}
    core = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "qwen", "namespace": "a"}}
    assert object_file_name(knative) != object_file_name(core)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_kubectl_kustomize_builds_rendered_env(tmp_path, env):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed: cannot run the kustomize build")
    render(tmp_path / "out", env)
    built = subprocess.run([kubectl, "kustomize", str(tmp_path / "out" / env)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert built.stdout.count("\nkind: ") + built.stdout.startswith("kind: ") >= 1
    assert f"namespace: ml-{env}" in built.stdout
