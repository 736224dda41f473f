"""runtime-image/image.lock: strict reading, agreement with the Dockerfile, and recording a pushed build."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelfleet.image_lock import (
    DOCKERFILE,
    LOCK_FILE,
    BaseImage,
    Build,
    ImageLockError,
    lock_mismatches,
    read_dockerfile_base,
    read_image_lock,
    record_build,
)
from tests.conftest import ROOT

DIGEST = "sha256:" + "ab" * 32
REVISION = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def lock_file(tmp_path) -> Path:
    path = tmp_path / "image.lock"
    path.write_text((ROOT / LOCK_FILE).read_text())
    return path


def edit(path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def test_the_lock_matches_the_dockerfile():
    assert lock_mismatches(ROOT / LOCK_FILE, ROOT / DOCKERFILE) == []


def test_the_repository_lock_pins_the_base_and_records_no_push_yet():
    lock = read_image_lock(ROOT / LOCK_FILE)
    assert (lock.engine, lock.build, lock.engine_image) == ("vllm", None, None)
    assert lock.base_image == f"vllm/vllm-openai:v{lock.engine_version}@{lock.base.digest}"
    assert read_dockerfile_base(ROOT / DOCKERFILE).base == lock.base


def test_a_version_or_base_digest_the_dockerfile_does_not_have_is_reported(lock_file):
    def change(data):
        data["engineVersion"] = "0.27.0"
        data["base"]["digest"] = DIGEST

    dockerfile = ROOT / DOCKERFILE
    pinned = read_dockerfile_base(dockerfile)
    assert lock_mismatches(edit(lock_file, change), dockerfile) == [
        f"{lock_file}: engineVersion is 0.27.0 but {dockerfile} has ARG VLLM_VERSION {pinned.version}",
        f"{lock_file}: base.digest is {DIGEST} but {dockerfile} has base image digest {pinned.base.digest}",
    ]


def test_a_dockerfile_version_bump_without_the_lock_is_reported(lock_file, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text((ROOT / DOCKERFILE).read_text().replace("ARG VLLM_VERSION=0.28.0", "ARG VLLM_VERSION=0.29.0"))
    assert lock_mismatches(lock_file, dockerfile) == [
        f"{lock_file}: engineVersion is 0.28.0 but {dockerfile} has ARG VLLM_VERSION 0.29.0",
        f"{lock_file}: base.tag is v0.28.0 but {dockerfile} has base image tag v0.29.0",
    ]


@pytest.mark.parametrize(
    "text, error",
    [
        ("FROM ubuntu:24.04\n", "no ARG VLLM_VERSION=<version> before the first FROM"),
        ("ARG VLLM_VERSION=1.0\n", "no FROM instruction"),
        (
            "ARG VLLM_VERSION=1.0\nFROM --platform=linux/amd64 vllm/vllm-openai:v${VLLM_VERSION} AS base\n",
            "the first FROM (vllm/vllm-openai:v1.0) is not pinned as repository:tag@sha256:<digest>",
        ),
    ],
)
def test_a_dockerfile_without_a_pinned_base_is_an_error(tmp_path, text, error):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    with pytest.raises(ImageLockError) as raised:
        read_dockerfile_base(dockerfile)
    assert str(raised.value) == f"{dockerfile}: {error}"


@pytest.mark.parametrize(
    "change, errors",
    [
        (lambda d: d.update(engine="tgi"), ['engine: must be "vllm", got "tgi"']),
        (lambda d: d.update(engineVersion=0.28), ["engineVersion: must be a release version such as 0.28.0, got 0.28"]),
        (lambda d: d.update(extra=1), ["extra: unknown key (known: engine, engineVersion, base, image)"]),
        (lambda d: d["base"].pop("digest"), ["base.digest: missing"]),
        (
            lambda d: d["base"].update(digest="sha256:61fc"),
            ['base.digest: must be "sha256:" followed by 64 lowercase hex digits, got "sha256:61fc"'],
        ),
        (lambda d: d.pop("image"), ["image: missing"]),
        (lambda d: d.update(image=[]), ["image: must be an object, got a list"]),
        (
            lambda d: d["image"].update(repository="GHCR.io/Org/Name:tag"),
            ['image.repository: must be an image repository such as ghcr.io/org/name, got "GHCR.io/Org/Name:tag"'],
        ),
        (
            lambda d: d["image"].update(build={"digest": DIGEST}),
            ["image.build.revision: missing"],
        ),
        (
            lambda d: d["image"].update(build={"digest": None, "revision": "HEAD"}),
            [
                'image.build.digest: must be "sha256:" followed by 64 lowercase hex digits, got null',
                'image.build.revision: must be a full git commit SHA (40 lowercase hex digits), got "HEAD"',
            ],
        ),
    ],
)
def test_a_malformed_lock_names_the_file_and_every_problem(lock_file, change, errors):
    with pytest.raises(ImageLockError) as raised:
        read_image_lock(edit(lock_file, change))
    assert str(raised.value).splitlines() == [f"{lock_file}: {error}" for error in errors]


@pytest.mark.parametrize(
    "text, error",
    [
        ("{", ":1:2: not valid JSON: Expecting property name enclosed in double quotes"),
        ("[]", ": the lock: must be an object, got a list"),
    ],
)
def test_a_lock_that_is_not_a_json_object(tmp_path, text, error):
    path = tmp_path / "image.lock"
    path.write_text(text)
    with pytest.raises(ImageLockError) as raised:
        read_image_lock(path)
    assert str(raised.value) == f"{path}{error}"


def test_a_missing_lock(tmp_path):
    with pytest.raises(ImageLockError) as raised:
        read_image_lock(tmp_path / "image.lock")
    assert str(raised.value) == f"{tmp_path / 'image.lock'}: cannot read: No such file or directory"


def test_recording_a_build_keeps_the_rest_of_the_lock(lock_file):
    before = read_image_lock(lock_file)
    lock = record_build(lock_file, DIGEST, REVISION)
    assert lock == read_image_lock(lock_file)
    assert lock.build == Build(DIGEST, REVISION) and lock.base == before.base
    assert lock.engine_image == f"ghcr.io/modelfleet/vllm-engine@{DIGEST}"
    assert lock_file.read_text().endswith("\n")


def test_recording_an_invalid_build_writes_nothing(lock_file):
    before = lock_file.read_text()
    with pytest.raises(ImageLockError) as raised:
        record_build(lock_file, "sha256:short", REVISION)
    assert str(raised.value).startswith(f"{lock_file}: image.build.digest: must be")
    assert lock_file.read_text() == before


def run_module(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelfleet.image_lock", *argv], cwd=ROOT, capture_output=True, text=True)


def test_the_workflow_commands(lock_file):
    """What .github/workflows/runtime-image.yml runs, with the runner's plain python3."""
    assert run_module("--lock", str(lock_file), "repository").stdout == "ghcr.io/modelfleet/vllm-engine\n"
    recorded = run_module("--lock", str(lock_file), "record", "--digest", DIGEST, "--revision", REVISION)
    assert (recorded.returncode, recorded.stdout) == (0, f"ghcr.io/modelfleet/vllm-engine@{DIGEST}\n")
    failed = run_module("--lock", str(lock_file), "record", "--digest", DIGEST, "--revision", "main")
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr


def test_base_reference():
    assert BaseImage("vllm/vllm-openai", "v0.28.0", DIGEST).reference == f"vllm/vllm-openai:v0.28.0@{DIGEST}"
