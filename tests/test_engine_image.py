"""Runtimes with vllm.imageLock run the image built from runtime-image/, started through its entrypoint."""

from __future__ import annotations

import json

import pytest

from modelfleet.build.environment import built_objects
from modelfleet.image_lock import record_build
from modelfleet.build.notices import environment_notices
from modelfleet.resolve.environment import resolve
from modelfleet.load.project import Project, SpecError
from modelfleet.spec.stack_loader import load_stack
from tests.conftest import ROOT
from tests.test_runtime_image import entrypoint, fake_vllm

DIGEST = "sha256:" + "ab" * 32
REVISION = "c" * 40
STACK = """
config:
  modelfleet:environment: {namespace: ml-prod}
  modelfleet:storage:
    - {name: hub, huggingFace: {tokenSecretName: hf-token}}
  modelfleet:runtimes:
    - {name: engine, vllm: {imageLock: runtime-image/image.lock}}
  modelfleet:models:
    - {name: chat, format: vLLM, runtime: engine, storageUri: "s3://models/chat"}
    - {name: chat-deploy, backend: deployment, runtime: engine, storage: {name: hub, path: org/chat},
       engine: {maxModelLen: 4096}}
"""


def compile_with_lock(project, pushed: bool):
    lock = project.root / "runtime-image" / "image.lock"
    lock.parent.mkdir()
    lock.write_text((ROOT / "runtime-image" / "image.lock").read_text())
    if pushed:
        record_build(lock, DIGEST, REVISION)
    project.write("Pulumi.prod.yaml", STACK)
    plan = resolve(load_stack(Project.at(project.root), "prod"))
    objects = [obj for obj, _ in built_objects(plan)]
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}, environment_notices(plan, objects)


def test_a_pushed_image_runs_through_its_entrypoint(project, schemas):
    objects, notices = compile_with_lock(project, pushed=True)
    assert notices == []
    [runtime] = objects[("ServingRuntime", "engine")]["spec"]["containers"]
    assert runtime["image"] == f"ghcr.io/modelfleet/vllm-engine@{DIGEST}"
    assert runtime["command"] == ["python3", "/opt/modelfleet/modelfleet_entrypoint.py"]
    assert runtime["args"] == ["--served-model-name={{.Name}}"]
    config = {"engine": "vllm", "engineVersion": "0.28.0", "model": "/mnt/models", "port": 8080}
    assert runtime["env"][1] == {"name": "MODELFLEET_ENGINE_CONFIG", "value": json.dumps(config, sort_keys=True)}
    assert "runtimeVersion" not in objects[("InferenceService", "chat")]["spec"]["predictor"]["model"]  # the digest pins it
    assert all(schemas.validate(obj) == [] for obj in objects.values())


def test_the_entrypoint_starts_the_engine_with_the_compiled_flags(project, tmp_path, monkeypatch, capsys):
    """The entrypoint built from this repository accepts exactly what the compiler produces."""
    objects, _ = compile_with_lock(project, pushed=True)
    [container] = objects[("Deployment", "chat-deploy")]["spec"]["template"]["spec"]["containers"]
    environ = {item["name"]: item["value"] for item in container["env"] if "value" in item}
    monkeypatch.syspath_prepend(str(fake_vllm(tmp_path, "0.28.0")))
    monkeypatch.setattr(entrypoint, "DEFAULT_CONFIG_FILE", str(tmp_path / "none.json"))
    assert entrypoint.main(["--print", *container["args"]], environ) == 0
    assert json.loads(capsys.readouterr().out) == [
        "vllm", "serve", "--model", "org/chat", "--host", "0.0.0.0", "--port", "8080",
        "--served-model-name=chat-deploy", "--max-model-len=4096",
    ]


def test_before_the_first_push_the_digest_pinned_base_image_runs(project):
    objects, notices = compile_with_lock(project, pushed=False)
    [runtime] = objects[("ServingRuntime", "engine")]["spec"]["containers"]
    base = "vllm/vllm-openai:v0.28.0@sha256:61fc8a896b0a4fbbbdc063bc4b0dbc25ce98e02b5050c24aeb7830ac02039b14"
    assert runtime["image"] == base
    assert runtime["command"] == ["python", "-m", "vllm.entrypoints.openai.api_server"]
    assert runtime["args"] == ["--port=8080", "--model=/mnt/models", "--served-model-name={{.Name}}"]
    assert notices == [f"prod: runtime engine: runtime-image/image.lock records no pushed image yet, so it runs the base image {base}; "
                       "the runtime-image workflow records the built image's digest on its first push"]


def test_lock_problems_are_located(project):
    project.write("Pulumi.prod.yaml", STACK)
    with pytest.raises(SpecError) as caught:
        resolve(load_stack(Project.at(project.root), "prod"))
    assert [str(p) for p in caught.value.problems] == [
        "stacks/Pulumi.prod.yaml:6:29: runtimes[0].vllm.imageLock: runtime-image/image.lock: cannot read: No such file "
        "or directory; point imageLock at the lock the runtime-image workflow writes"]

    project.write("Pulumi.prod.yaml", STACK.replace("{imageLock: runtime-image/image.lock}", '{imageLock: runtime-image/image.lock, version: "0.28.0"}'))
    with pytest.raises(SpecError) as caught:
        load_stack(Project.at(project.root), "prod")
    assert [str(p) for p in caught.value.problems] == [
        "stacks/Pulumi.prod.yaml:6:22: runtimes[0].vllm: the image lock records the vLLM version; remove version"]
