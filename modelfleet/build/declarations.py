"""Where a finding on a built object was written: the stack-file value it comes from, through the merge provenance.

Each built object is traced to the spec entry it was built from (a model, runtime, Ray cluster or storage entry;
the environment for the rest), as the build recorded it. A finding is then located at the field its rule is
about, the first of a few candidates that is written in the stack files (the runtime's image for an image rule,
the GPU pool's tolerations for a toleration rule, the env entry of the same name, ...), else at the entry itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from modelfleet.build.environment import Origin
from modelfleet.load.merge import locate
from modelfleet.load.source_yaml import Path_, Position
from modelfleet.spec.stack_loader import LoadedStack

ObjectKey = tuple[str, str, str, str]  # apiVersion, kind, namespace, name
IMAGE_RULES = ("pinned-image", "no-latest-image")
_METADATA_KEY = re.compile(r'^metadata\.(labels|annotations)(?:\.([A-Za-z0-9_$@:/-]+)|\["(.+?)"\])')
"""A schema problem's path into a label or annotation (SchemaProblem quotes keys with dots)."""
_ENGINE_KINDS = ("Application", "GitRepository", "Kustomization")
_ENGINE_ENTRY: Path_ = ("gitops",)


def object_key(obj: dict) -> ObjectKey:
    metadata = obj["metadata"]
    return obj["apiVersion"], obj["kind"], str(metadata.get("namespace") or ""), metadata["name"]


def _index(items: list, name: str | None) -> int | None:
    return next((index for index, item in enumerate(items) if item.name == name), None)


@dataclass(frozen=True)
class Declarations:
    """The spec entry behind every compiled object of one environment."""

    loaded: LoadedStack
    entries: dict[ObjectKey, Path_]
    written: dict  # the merged spec as written (fields left to their defaults are absent)

    @classmethod
    def of(cls, loaded: LoadedStack, built: list[tuple[dict, Origin]]) -> "Declarations":
        """From the objects as `built_objects` gives them, with the entry each is built from."""
        spec = loaded.spec
        sections = {"models": spec.models, "runtimes": spec.runtimes, "rayClusters": spec.ray_clusters, "storage": spec.storage}
        entries = {object_key(obj): (origin[0], _index(sections[origin[0]], origin[1])) for obj, origin in built if origin is not None}
        return cls(loaded, entries, spec.model_dump(by_alias=True, exclude_unset=True))

    def _written(self, path: Path_) -> bool:
        node: Any = self.written
        for key in path:
            if isinstance(node, dict) and key in node or isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
            else:
                return False
        return True

    def stack_position(self) -> Position:
        """A finding about the whole stack (the GPU budget): the models it deploys."""
        return locate(self.loaded.provenance, ("models",))

    def position(self, obj: dict, rule: str, field: Any) -> Position:
        """The stack-file position of a finding of `rule` on `obj`; `field` is the object's value the finding names."""
        entry = self.entries.get(object_key(obj), ("environment",))
        candidates = [path for path in self._candidates(entry, rule, field) if self._written(path)]
        return locate(self.loaded.provenance, candidates[0] if candidates else entry)

    def schema_position(self, obj: dict, path: str) -> Position:
        """The stack-file position of a schema problem at `path` (as SchemaProblem formats it) of a built object: a
        label or annotation where it is written (the entry's own, else the environment's), else the entry."""
        entry = self.entries.get(object_key(obj), _ENGINE_ENTRY if obj.get("kind") in _ENGINE_KINDS else ("environment",))
        candidates: list[Path_] = []
        found = _METADATA_KEY.match(path)
        if found:
            field, key = found.group(1), found.group(2) or found.group(3)
            candidates = [(*entry, field, key), ("environment", field, key)]
        written = [candidate for candidate in candidates if self._written(candidate)]
        return locate(self.loaded.provenance, written[0] if written else entry)

    def _candidates(self, entry: Path_, rule: str, field: Any) -> list[Path_]:
        spec = self.loaded.spec
        kind = entry[0]
        if kind == "rayClusters":
            return [(*entry, "image")] if rule in IMAGE_RULES else [(*entry, "workerGroups")]
        if kind == "runtimes":
            return self._runtime_fields(entry[1], rule, field)
        if kind != "models":
            return []
        index = entry[1]
        model = spec.models[index]
        runtime = _index(spec.runtimes, model.runtime)
        pool = _index(spec.gpu_pools, model.gpu.pool) if model.gpu else None
        by_rule: dict[str, list[Path_]] = {
            "gpu-toleration": [("gpuPools", pool, "tolerations"), (*entry, "gpu", "pool")],
            "wildcard-toleration": [("gpuPools", pool, "tolerations"), (*entry, "gpu", "pool")],
            "pinned-runtime-version": [(*entry, "runtimeVersion")],
            "gpu-requests-equal-limits": [(*entry, "gpu", "count"), (*entry, "gpu")],
            "resource-limits": [(*entry, "resources", "limits"), (*entry, "resources")],
            "trust-remote-code": [(*entry, engine, option) for engine in ("engine", "tgi") for option in ("trustRemoteCode", "extraArgs")] + [(*entry, "args")],
            "min-replicas": [(*entry, "scaling", "minReplicas"), (*entry, "scaling")],
            "no-plaintext-secrets": [(*entry, "env", at) for at, variable in enumerate(model.env) if _env_name(field) == variable.name],
        }
        found = by_rule.get(rule, [])
        return found + (self._runtime_fields(runtime, rule, field) if runtime is not None else [])

    def _runtime_fields(self, index: int, rule: str, field: Any) -> list[Path_]:
        runtime = self.loaded.spec.runtimes[index]
        engine = "vllm" if runtime.vllm is not None else "tgi"
        at = ("runtimes", index, engine)
        if rule in IMAGE_RULES or rule == "pinned-runtime-version":
            return [(*at, "imageLock"), (*at, "image")]
        if rule == "no-plaintext-secrets":
            variables = (runtime.vllm or runtime.tgi).env if (runtime.vllm or runtime.tgi) else []
            return [(*at, "env", position) for position, variable in enumerate(variables) if _env_name(field) == variable.name]
        return []


def _env_name(field: Any) -> str | None:
    """The name of the env entry a finding names (`containers[0].env[3]`), if it names one."""
    return field.get("name") if isinstance(field, dict) else None
