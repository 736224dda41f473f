"""no-latest-image: an image without a tag or digest, or tagged :latest, changes under a running service."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.images import container_images
from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import resource_policy


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    for path, image, ref in container_images(obj):
        if ref.floating:
            what = "uses the :latest tag" if ref.tag else "has neither a tag nor a digest (Kubernetes pulls :latest)"
            yield f"{path}: '{image}' {what}"


POLICY = resource_policy(
    name="no-latest-image",
    description="Container images name a version: no :latest, no bare repository.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="Pin the image by digest (<repository>@sha256:<digest>), or at least by an exact version tag.",
    check=check,
)
