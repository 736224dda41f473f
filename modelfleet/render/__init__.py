"""Write an environment's objects as a GitOps tree: one YAML file per object plus a kustomization.yaml.

The GitOps engine objects of the environment (Argo CD Application, Flux GitRepository + Kustomization), if any,
go to the gitops/ subdirectory, one file per object, and are not listed in kustomization.yaml: the engine builds
that kustomization, and must not manage (or prune) the objects that bootstrap it.

The output is byte-identical for identical input, written atomically (the old tree stays whole until the
new one is complete, then is replaced at once, which also prunes files of removed objects), and only into
directories modelfleet created itself (they carry a marker file).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable

import yaml

OWNER_MARKER = ".modelfleet-rendered"
KUSTOMIZATION = "kustomization.yaml"
GITOPS_DIR = "gitops"
_TOP_LEVEL_ORDER = ("apiVersion", "kind", "metadata", "spec")


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Safe dumper writing multi-line strings (serveConfigV2, runtime scripts) as readable literal blocks, and
    repeated sub-objects in full: anchors and aliases are valid YAML but confuse reviewers and some GitOps tools."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)


class RenderError(Exception):
    """The target cannot be written (for example a directory modelfleet does not own)."""


def object_file_name(obj: dict) -> str:
    """<kind>[.<group>]_<namespace>_<name>.yaml; '_' never occurs in Kubernetes names, so names never collide."""
    group = obj["apiVersion"].rpartition("/")[0]
    kind = obj["kind"].lower() + (f".{group}" if group else "")
    metadata = obj["metadata"]
    return f"{kind}_{metadata.get('namespace', '')}_{metadata['name']}.yaml"


def dump_object(obj: dict) -> str:
    """YAML text of one object: apiVersion, kind, metadata, spec first, other top-level keys sorted after."""
    ordered = {key: obj[key] for key in _TOP_LEVEL_ORDER if key in obj}
    ordered.update((key, obj[key]) for key in sorted(obj) if key not in ordered)
    return yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 16)


def render_files(env: str, objects: list[dict], gitops_objects: Iterable[dict] = ()) -> dict[str, str]:
    """File name -> content of an environment's tree, kustomization.yaml and the owner marker included; the
    GitOps engine objects under gitops/ (names relative to the tree, '/'-separated), not in the kustomization."""
    files = {object_file_name(obj): dump_object(obj) for obj in objects}
    if len(files) != len(objects):
        raise RenderError(f"{env}: two objects share a kind, namespace and name")
    gitops_objects = list(gitops_objects)
    engine_files = {f"{GITOPS_DIR}/{object_file_name(obj)}": dump_object(obj) for obj in gitops_objects}
    if len(engine_files) != len(gitops_objects):
        raise RenderError(f"{env}: two GitOps engine objects share a kind, namespace and name")
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files),
    }
    files[KUSTOMIZATION] = "# Rendered by `modelfleet render`; do not edit.\n" + yaml.dump(kustomization, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
    files[OWNER_MARKER] = f"modelfleet render output for environment {env}; the whole directory is replaced on every render.\n"
    files.update(engine_files)
    return files


def check_writable(target: Path) -> None:
    """Refuse a directory that exists, is not empty and was not written by modelfleet."""
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / OWNER_MARKER).is_file())):
        raise RenderError(f"{target} exists and was not written by modelfleet (no {OWNER_MARKER}); choose another --out or remove it")


def write_tree(target: Path, files: dict[str, str]) -> None:
    """Replace `target` with exactly `files`, atomically as seen from a reader of the tree."""
    check_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.new-{os.getpid()}"
    retired = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name, content in sorted(files.items()):
            path = staging / name
            if path.parent != staging:
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8"))
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
    except BaseException:
        if retired.exists() and not target.exists():
            os.replace(retired, target)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)
