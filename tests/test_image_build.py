"""modelfleet:imageBuild: the engine image built in the stack by `pulumi up` (pulumi-docker-build), off by default.

Offline, runtimes locking <context>/image.lock run the content-addressed tag <repository>:<engineVersion>-<12 hex>
through the image's entrypoint; under Pulumi's mock runtime, a docker-build Image is registered with the context
and the tag, and every object runs its `ref` (<tag>@<digest>) instead.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pulumi_docker_build
import yaml

from modelfleet.cli import main
from modelfleet.compile import compile_environments
from modelfleet.resolve.engine_image import ENGINE_CONFIG_ENV, ENTRYPOINT_COMMAND, context_digest
from modelfleet.image_lock import read_image_lock
from components.k8s_objects import with_built_image
from modelfleet.spec.image_build import PLATFORMS
from modelfleet.load.project import Project
from tests.conftest import ROOT
from tests.pulumi_mock_run import pushed_digest
from tests.test_spec_errors import problems_of

REPOSITORY = "ghcr.io/acme/modelfleet-vllm"
STACK = """
config:
  modelfleet:environment: {namespace: ml-prod, platform: {knative: "1.23"}}
  modelfleet:imageBuild: {repository: ghcr.io/acme/modelfleet-vllm}
  modelfleet:storage:
    - {name: hub, huggingFace: {tokenSecretName: hf-token}}
  modelfleet:runtimes:
    - {name: engine, vllm: {imageLock: runtime-image/image.lock}}
  modelfleet:models:
    - {name: chat, format: vLLM, runtime: engine, storageUri: "s3://models/chat"}
    - {name: chat-deploy, backend: deployment, runtime: engine, storage: {name: hub, path: org/chat},
       engine: {maxModelLen: 4096}}
    - {name: chat-knative, backend: knative, runtime: engine, storage: {name: hub, path: org/chat}}
"""
TAG = re.compile(rf"^{re.escape(REPOSITORY)}:0\.28\.0-[0-9a-f]{{12}}$")


def with_runtime_image(project):
    """The project gets a copy of this repository's runtime-image/ (its build context)."""
    shutil.copytree(ROOT / "runtime-image", project.root / "runtime-image", ignore=shutil.ignore_patterns("__pycache__"))
    return project


def compile_prod(project, stack: str = STACK, schemas=None):
    project.write("Pulumi.prod.yaml", stack)
    [compiled] = compile_environments(Project.at(project.root), ["prod"], schemas)
    return compiled


def by_kind(objects: list[dict]) -> dict:
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


def expected_tag(project) -> str:
    lock = read_image_lock(project.root / "runtime-image" / "image.lock")
    return f"{REPOSITORY}:{lock.engine_version}-{context_digest(project.root / 'runtime-image')[:12]}"


# --- the stack spec -------------------------------------------------------------------------------------------


def test_spec_errors_are_located(project):
    found = problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:imageBuild:
            repository: ghcr.io/acme/modelfleet-vllm:v1
            context: ../runtime-image
            platforms: [linux/amd65]
            push: yes
            cache: true
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:4:5: imageBuild.repository: 'ghcr.io/acme/modelfleet-vllm:v1' has a tag; write the "
        "repository only (e.g. ghcr.io/acme/modelfleet-vllm): the tag is computed from the engine version and the "
        "content of the build context",
        "stacks/Pulumi.dev.yaml:5:5: imageBuild.context: '../runtime-image' is not a directory below the project "
        "root; write it relative to the root, without '..', spaces or a trailing '/', e.g. runtime-image (the root "
        "itself holds venv/ and rendered/, not a build context)",
        "stacks/Pulumi.dev.yaml:6:17: imageBuild.platforms[0]: 'linux/amd65' is not a platform pulumi-docker-build "
        "builds for; did you mean linux/amd64?",
        "stacks/Pulumi.dev.yaml:7:5: imageBuild.push: expected true or false, got the string 'yes'; write true or "
        "false (yes/no/on/off are strings in YAML 1.2)",
        "stacks/Pulumi.dev.yaml:8:5: imageBuild.cache: unknown field 'cache'; allowed fields: repository, context, "
        "platforms, push",
    ]


def test_repository_and_platform_list_problems(project):
    found = problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:imageBuild: {repository: "ghcr.io/acme/vllm@sha256:abc", platforms: [linux/arm64, linux/arm64]}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:3:27: imageBuild.repository: 'ghcr.io/acme/vllm@sha256:abc' has a digest; write the "
        "repository only (e.g. ghcr.io/acme/modelfleet-vllm): the tag is computed from the engine version and the "
        "content of the build context",
        "stacks/Pulumi.dev.yaml:3:71: imageBuild.platforms: linux/arm64 listed more than once; list each platform once",
    ]
    found = problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:imageBuild: {repository: ghcr.io/Acme/vllm, platforms: []}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:3:27: imageBuild.repository: 'ghcr.io/Acme/vllm' is not an image repository; write "
        "[registry/]path in lowercase, e.g. ghcr.io/acme/modelfleet-vllm",
        "stacks/Pulumi.dev.yaml:3:58: imageBuild.platforms: no platform listed; list at least one, e.g. [linux/amd64], "
        "or remove platforms for that default",
    ]
    found = problems_of(project, "config:\n  modelfleet:environment: {namespace: ml-dev}\n  modelfleet:imageBuild: {}\n")
    assert found == ["stacks/Pulumi.dev.yaml:3:3: imageBuild.repository: required field 'repository' is missing; add it"]


def test_the_platforms_are_those_pulumi_docker_build_takes():
    assert PLATFORMS == tuple(platform.value for platform in pulumi_docker_build.Platform)


LOCKED_RUNTIMES = """
config:
  modelfleet:environment: {namespace: ml-dev}
  modelfleet:imageBuild: {repository: ghcr.io/acme/modelfleet-vllm%s}
  modelfleet:runtimes:
    - {name: engine, vllm: {imageLock: runtime-image/image.lock}}
    - {name: other, vllm: {imageLock: other/image.lock}}
"""


def test_a_runtime_locking_another_image_is_an_error(project):
    with_runtime_image(project)
    assert problems_of(project, LOCKED_RUNTIMES % "") == [
        "stacks/Pulumi.dev.yaml:6:28: runtimes[1].vllm.imageLock: imageBuild builds runtime-image in the stack, but "
        "this runtime locks other/image.lock, so it would not run the built image; point imageLock at "
        "runtime-image/image.lock, or set imageBuild.context to the directory of other/image.lock"]


def test_build_context_problems_are_located_at_the_context(project):
    with_runtime_image(project)
    stack = LOCKED_RUNTIMES.replace("    - {name: other, vllm: {imageLock: other/image.lock}}\n", "")
    assert problems_of(project, stack % ", context: images/vllm") == [
        "stacks/Pulumi.dev.yaml:3:69: imageBuild.context: images/vllm is not a directory of the project; set context "
        "to the directory holding the engine image's Dockerfile and image.lock (runtime-image)",
        "stacks/Pulumi.dev.yaml:5:29: runtimes[0].vllm.imageLock: imageBuild builds images/vllm in the stack, but this "
        "runtime locks runtime-image/image.lock, so it would not run the built image; point imageLock at "
        "images/vllm/image.lock, or set imageBuild.context to the directory of runtime-image/image.lock",
    ]
    dockerfile = project.root / "runtime-image" / "Dockerfile"
    text = dockerfile.read_text()
    dockerfile.write_text(text.replace("ARG VLLM_VERSION=0.28.0", "ARG VLLM_VERSION=0.29.0"))
    assert problems_of(project, stack % "") == [  # located at imageBuild: context takes its default
        "stacks/Pulumi.dev.yaml:3:3: imageBuild.context: runtime-image/image.lock: engineVersion is 0.28.0 but "
        "runtime-image/Dockerfile has ARG VLLM_VERSION 0.29.0; make the lock and the Dockerfile agree before building "
        "(runtime-image/README.md, 'The base image')",
        "stacks/Pulumi.dev.yaml:3:3: imageBuild.context: runtime-image/image.lock: base.tag is v0.28.0 but "
        "runtime-image/Dockerfile has base image tag v0.29.0; make the lock and the Dockerfile agree before building "
        "(runtime-image/README.md, 'The base image')",
    ]
    dockerfile.unlink()
    assert problems_of(project, stack % "") == [
        "stacks/Pulumi.dev.yaml:3:3: imageBuild.context: runtime-image/Dockerfile: cannot read: No such file or "
        "directory; the build context needs a Dockerfile and an image.lock that agree, as in runtime-image/"]


def test_runtime_version_cannot_be_set_on_the_built_image(project):
    """`pulumi up` deploys <tag>@<digest>: KServe's runtimeVersion rewrite would break the digest."""
    with_runtime_image(project)
    stack = (LOCKED_RUNTIMES % "").replace("    - {name: other, vllm: {imageLock: other/image.lock}}\n", "")
    stack += '  modelfleet:models:\n    - {name: llama, runtime: engine, runtimeVersion: "0.28.0"}\n'
    assert problems_of(project, stack) == [
        "stacks/Pulumi.dev.yaml:7:38: models[0].runtimeVersion: runtime 'engine' runs the image the stack builds "
        "(imageBuild), which `pulumi up` deploys pinned by digest; KServe would replace the digest with runtimeVersion "
        "and break the image; remove runtimeVersion (the digest already pins the engine)"]


# --- offline compile and render --------------------------------------------------------------------------------


def test_runtimes_run_the_content_addressed_tag_through_the_entrypoint(project, schemas):
    compiled = compile_prod(with_runtime_image(project), schemas=schemas)
    tag = compiled.plan.image_build.tag
    assert TAG.match(tag) and tag == expected_tag(project)
    objects = by_kind(compiled.objects)
    [runtime] = objects[("ServingRuntime", "engine")]["spec"]["containers"]
    assert runtime["image"] == tag
    assert runtime["command"] == list(ENTRYPOINT_COMMAND)
    assert runtime["args"] == ["--served-model-name={{.Name}}"]
    config = {"engine": "vllm", "engineVersion": "0.28.0", "model": "/mnt/models", "port": 8080}
    assert {"name": ENGINE_CONFIG_ENV, "value": json.dumps(config, sort_keys=True)} in runtime["env"]
    # the tag stands for <tag>@<digest>, so no runtimeVersion (KServe would rewrite the digest)
    assert "runtimeVersion" not in objects[("InferenceService", "chat")]["spec"]["predictor"]["model"]
    for key in (("Deployment", "chat-deploy"), ("Service", "chat-knative")):
        [container] = objects[key]["spec"]["template"]["spec"]["containers"]
        assert (container["image"], container["command"]) == (tag, list(ENTRYPOINT_COMMAND))
        assert any(item["name"] == ENGINE_CONFIG_ENV for item in container["env"])
    assert compiled.notices == [
        f"prod: imageBuild: `pulumi up` builds runtime-image (linux/amd64), pushes {tag} and deploys "
        f"{tag}@<digest of the push>; the rendered manifests carry the tag only, not pinned by digest, so deploy "
        "this environment with `pulumi up`"]


def test_the_tag_follows_the_content_of_the_context_only(project, tmp_path):
    with_runtime_image(project)
    first = compile_prod(project).plan.image_build.tag
    assert compile_prod(project).plan.image_build.tag == first  # stable across compiles

    context = project.root / "runtime-image"
    (context / "__pycache__").mkdir()
    (context / "__pycache__" / "modelfleet_entrypoint.cpython-311.pyc").write_bytes(b"\0bytecode")
    (context / ".git").mkdir()
    (context / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (context / "Dockerfile").touch()  # a newer mtime is no change
    lock = context / "image.lock"
    lock.write_text(lock.read_text() + "\n")  # the CI workflow rewrites the lock; no build step reads it
    assert compile_prod(project).plan.image_build.tag == first  # VCS, bytecode and lock noise is ignored

    moved = tmp_path / "elsewhere"
    shutil.copytree(project.root, moved)
    [compiled] = compile_environments(Project.at(moved), ["prod"], None)
    assert compiled.plan.image_build.tag == first  # independent of where the project lives

    readme = context / "README.md"
    readme.write_text(readme.read_text() + "\nOne more line.\n")
    changed = compile_prod(project).plan.image_build.tag
    assert TAG.match(changed) and changed != first  # any file of the context changes the tag
    (context / "extra.txt").write_text("")
    added = compile_prod(project).plan.image_build.tag
    assert added not in (first, changed)
    (context / "extra.txt").rename(context / "renamed.txt")
    assert compile_prod(project).plan.image_build.tag not in (first, changed, added)


def test_render_writes_the_tag_and_prints_the_notice(project, tmp_path, capsys):
    with_runtime_image(project)
    project.write("Pulumi.prod.yaml", STACK)
    out = tmp_path / "rendered"
    assert main(["render", "--project", str(project.root), "--out", str(out), "prod"]) == 0
    tag = expected_tag(project)
    runtime = yaml.safe_load((out / "prod" / "servingruntime.serving.kserve.io_ml-prod_engine.yaml").read_text())
    assert runtime["spec"]["containers"][0]["image"] == tag
    assert f"builds runtime-image (linux/amd64), pushes {tag} and deploys {tag}@<digest of the push>" in capsys.readouterr().err
    for path in (out / "prod").iterdir():  # no machine path, no digest the render cannot know
        assert str(project.root) not in path.read_text() and "runtime-image/" not in path.read_text()


def test_push_false_and_an_unused_build_are_explained(project):
    with_runtime_image(project)
    stack = STACK.replace("{repository: ghcr.io/acme/modelfleet-vllm}", "{repository: ghcr.io/acme/modelfleet-vllm, push: false}")
    tag = expected_tag(project)
    assert compile_prod(project, stack).notices == [
        f"prod: imageBuild: `pulumi up` builds runtime-image as {tag} without pushing it (push: false), so no cluster "
        "can pull the image the manifests name; set push: true to deploy it"]
    unused = STACK.replace("{imageLock: runtime-image/image.lock}", '{image: "vllm/vllm-openai:v0.6.3", version: "0.6.3"}')
    assert compile_prod(project, unused).notices[1:] == [
        "prod: imageBuild: no runtime sets vllm.imageLock: runtime-image/image.lock, so nothing runs the image "
        "`pulumi up` builds from runtime-image"]


def test_the_substitution_replaces_whole_strings_anywhere_in_an_object():
    image = SimpleNamespace(tag="repo:1-abc", ref="REF")
    obj = {"spec": {"containers": [{"image": "repo:1-abc", "args": ["repo:1-abc-x", "repo:1-abc"]}], "n": 3}}
    assert with_built_image(obj, image) == ({"spec": {"containers": [{"image": "REF", "args": ["repo:1-abc-x", "REF"]}], "n": 3}}, True)
    assert with_built_image({"image": "other"}, image) == ({"image": "other"}, False)


# --- under Pulumi's mock runtime --------------------------------------------------------------------------------


def run_program(project) -> list[dict]:
    """__main__.py of the project under the mock runtime, from the project root as `pulumi up` runs it. No
    docker-build plugin is installed or needed: the mock monitor answers every registration."""
    shutil.copy(ROOT / "__main__.py", project.root / "__main__.py")
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "pulumi_mock_run.py"), "prod", str(project.root)],
                         capture_output=True, text=True, cwd=project.root)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def replaced(value, old: str, new: str):
    if isinstance(value, dict):
        return {key: replaced(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [replaced(item, old, new) for item in value]
    return new if value == old else value


def _key(obj: dict) -> tuple:
    return obj["kind"], obj["metadata"]["name"]


def test_pulumi_builds_the_image_and_the_objects_run_its_ref(project):
    with_runtime_image(project)
    compiled = compile_prod(project)
    tag = compiled.plan.image_build.tag
    registered = run_program(project)

    [component] = [r for r in registered if r["type"] == "modelfleet:image:EngineImage"]
    [image] = [r for r in registered if r["type"] == "docker-build:index:Image"]
    assert component["name"] == image["name"] == "engine-image"
    assert {key: image["inputs"][key] for key in ("context", "dockerfile", "tags", "push", "platforms")} == {
        "context": {"location": "runtime-image"},  # relative to the project root, the program's working directory
        "dockerfile": {"location": "runtime-image/Dockerfile"},
        "tags": [tag],
        "push": True,
        "platforms": ["linux/amd64"],
    }
    assert image["inputs"]["buildOnPreview"] is False  # a pull request's preview does not build tens of GB
    ref = f"{tag}@{pushed_digest([tag])}"  # the mock's ref output after the push
    objects = {_key(r["inputs"]): r for r in registered if r["type"].startswith("kubernetes:")}
    assert objects[("ServingRuntime", "engine")]["inputs"]["spec"]["containers"][0]["image"] == ref
    for key in (("Deployment", "chat-deploy"), ("Service", "chat-knative")):
        assert objects[key]["inputs"]["spec"]["template"]["spec"]["containers"][0]["image"] == ref
    # exactly the compiled objects, with the ref where they name the tag; those depend on the image
    assert sorted((r["inputs"] for r in objects.values()), key=_key) == sorted(replaced(compiled.objects, tag, ref), key=_key)
    image_urn = "urn:pulumi:prod::modelfleet::modelfleet:image:EngineImage$docker-build:index:Image::engine-image"
    # Every object running the image waits for its push. (Others may wait too: models are ordered after the
    # runtimes, and the SDK expands a component dependency at a time that varies, so that is not asserted.)
    running = [key for key, resource in objects.items() if tag in json.dumps(replaced(resource["inputs"], ref, tag))]
    assert sorted(running) == [("Deployment", "chat-deploy"), ("Service", "chat-knative"), ("ServingRuntime", "engine")]
    assert [key for key in running if image_urn not in objects[key]["dependencies"]] == []


def test_without_image_build_nothing_is_built(project):
    with_runtime_image(project)
    stack = STACK.replace("  modelfleet:imageBuild: {repository: ghcr.io/acme/modelfleet-vllm}\n", "")
    compiled = compile_prod(project, stack)
    assert compiled.plan.image_build is None
    registered = run_program(project)
    assert not [r for r in registered if r["type"] in ("docker-build:index:Image", "modelfleet:image:EngineImage")]
    [runtime] = [r for r in registered if r["type"] == "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime"]
    base = read_image_lock(project.root / "runtime-image" / "image.lock").base_image
    assert runtime["inputs"]["spec"]["containers"][0]["image"] == base  # the lock's image, as before
