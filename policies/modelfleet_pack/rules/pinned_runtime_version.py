"""pinned-runtime-version: an InferenceService predictor pins the version of the runtime it runs.

KServe replaces the trailing `:<tag>` of the selected runtime's image with the predictor's
runtimeVersion. So the version must be exact, and where the runtime is in the same stack:
- with a tagged image, runtimeVersion equals the tag (anything else runs another engine build);
- with a digest-pinned image the image already pins the version, runtimeVersion may be left out, and
  setting it would corrupt the digest.
A stack policy, because the runtime is another resource. A predictor without runtimeVersion whose
runtime is not in the stack (or is auto-selected) is reported: nothing shows the version is pinned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.images import ImageRef, parse_image
from modelfleet_pack.support.objects import KubeObject, items, mapping
from modelfleet_pack.support.policy import stack_policy
from modelfleet_pack.support.workloads import KSERVE, SERVING_SPECS

# An exact release: major.minor[.patch...] with an optional v prefix and build suffix (2.6.2-gpu, 23.10-py3).
EXACT_VERSION = re.compile(r"^v?\d+(\.\d+)+([-_+][0-9A-Za-z][0-9A-Za-z._-]*)?$")
RUNTIME_CONTAINER = "kserve-container"


def _runtime_image(runtime: KubeObject) -> str | None:
    """The serving container's image (KServe's `kserve-container`, else the first container)."""
    found = [mapping(container) for container in items(runtime.spec.get("containers"))]
    chosen = next((c for c in found if c.get("name") == RUNTIME_CONTAINER), found[0] if found else {})
    image = chosen.get("image")
    return image if isinstance(image, str) else None


def _runtimes(objects: list[tuple[str, KubeObject]]) -> dict[tuple[str, str | None], KubeObject]:
    """ServingRuntimes by (name, namespace), ClusterServingRuntimes by (name, None)."""
    found = {}
    for _, obj in objects:
        if obj.is_a(KSERVE, "ServingRuntime"):
            found[(obj.name, obj.namespace)] = obj
        elif obj.is_a(KSERVE, "ClusterServingRuntime"):
            found[(obj.name, None)] = obj
    return found


def _problem(path: str, version: Any, runtime_name: str | None, runtime: KubeObject | None) -> str | None:
    image = _runtime_image(runtime) if runtime is not None else None
    ref: ImageRef | None = parse_image(image) if image else None
    where = f"runtime '{runtime_name}' image '{image}'"
    if version is None:
        if ref is not None and ref.pinned:
            return None
        if ref is not None:
            return f"{path}: runtimeVersion is not set and {where} is not pinned by digest"
        if runtime_name:
            return f"{path}: runtimeVersion is not set and runtime '{runtime_name}' is not in this stack to show its image is pinned"
        return f"{path}: runtimeVersion is not set and the runtime is auto-selected"
    if not isinstance(version, str) or not EXACT_VERSION.match(version):
        return f"{path}.runtimeVersion: '{version}' is not an exact version (like v0.6.3 or 2.6.2-gpu)"
    if ref is not None and ref.pinned:
        return f"{path}.runtimeVersion: '{version}' would replace the digest of {where}; leave runtimeVersion unset"
    if ref is not None and ref.tag != version:
        return f"{path}.runtimeVersion: '{version}' differs from the tag of {where}; KServe would run '{ref.repository}:{version}'"
    return None


def check(objects: list[tuple[str, KubeObject]], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    runtimes = _runtimes(objects)
    for urn, obj in objects:
        if not obj.is_a(KSERVE, "InferenceService"):
            continue
        predictor = mapping(obj.spec.get("predictor"))
        for key in SERVING_SPECS:
            spec = predictor.get(key)
            if not isinstance(spec, dict):
                continue
            runtime_name = spec.get("runtime") if isinstance(spec.get("runtime"), str) and spec.get("runtime") else None
            # KServe looks for a ServingRuntime in the InferenceService's namespace first.
            runtime = runtimes.get((runtime_name, obj.namespace)) or runtimes.get((runtime_name, None))
            message = _problem(f"spec.predictor.{key}", spec.get("runtimeVersion"), runtime_name, runtime)
            if message:
                yield message, urn


POLICY = stack_policy(
    name="pinned-runtime-version",
    description="InferenceService predictors pin an exact runtimeVersion that matches the runtime image they select.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set spec.predictor.model.runtimeVersion to the exact tag of the runtime image (in modelfleet: the model's "
        "runtimeVersion, which defaults to the runtime image tag), or pin the runtime image by digest and leave runtimeVersion unset."
    ),
    check=check,
)
