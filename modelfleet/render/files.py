"""An environment's objects as a GitOps tree (file name -> text): one YAML file per object plus a kustomization.yaml.

The GitOps engine objects of the environment (Argo CD Application, Flux GitRepository + Kustomization), if any,
go to the gitops/ subdirectory, one file per object, and are not listed in kustomization.yaml: the engine builds
that kustomization, and must not manage (or prune) the objects that bootstrap it.

The output is byte-identical for identical input; write.py puts it on disk.
"""

from __future__ import annotations

from typing import Iterable

import yaml

from modelfleet.render.write import OWNER_MARKER, RenderError
from modelfleet.render.yaml_text import BlockYamlWriter

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
_OBJECT_YAML = BlockYamlWriter(_Dumper, allow_unicode=True, width=1 << 16)
_KUSTOMIZATION_YAML = BlockYamlWriter(_Dumper)


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
    return _OBJECT_YAML.dump(ordered)


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
    files[KUSTOMIZATION] = "# Rendered by `modelfleet render`; do not edit.\n" + _KUSTOMIZATION_YAML.dump(kustomization)
    files[OWNER_MARKER] = f"modelfleet render output for environment {env}; the whole directory is replaced on every render.\n"
    files.update(engine_files)
    return files
