"""Shared fixtures: the repository root, the vendored schemas and throwaway projects."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("dev", "prod", "staging")


@pytest.fixture(scope="session")
def schemas():
    from modelfleet.schemas.validate import ManifestSchemas

    return ManifestSchemas.vendored()


class TmpProject:
    """A project in a temp dir: the repo's Pulumi.yaml plus stack files the test writes."""

    def __init__(self, root: Path):
        self.root = root
        (root / "stacks").mkdir(parents=True)
        shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")

    def write(self, name: str, text: str) -> Path:
        path = self.root / "stacks" / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def copy_repo_stacks(self) -> None:
        for path in (ROOT / "stacks").glob("*.yaml"):
            shutil.copy(path, self.root / "stacks" / path.name)


@pytest.fixture
def project(tmp_path) -> TmpProject:
    return TmpProject(tmp_path / "project")


MINIMAL_SHARED = """
config:
  modelfleet:gpuPools:
    - name: a100
      gpuModel: NVIDIA-A100-SXM4-80GB
      gpusPerNode: 8
  modelfleet:storage:
    - name: bucket
      s3:
        endpoint: minio.minio:9000
        bucket: models
        secretName: s3-creds
        useHttps: false
  modelfleet:runtimes:
    - name: vllm
      vllm:
        image: vllm/vllm-openai:v0.6.3
        version: "0.6.3"
  modelfleet:models:
    - name: llama
      format: vLLM
      runtime: vllm
      storage: {name: bucket, path: llama-3-8b}
      gpu: {pool: a100, count: 1}
"""
