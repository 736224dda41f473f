"""pinned-image: every container image is pinned by digest, so what runs is what was reviewed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.images import container_images
from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import resource_policy


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    for path, image, ref in container_images(obj):
        if ref.pinned or ref.floating:  # untagged and :latest images are no-latest-image's
            continue
        if ref.digest:
            yield f"{path}: '{image}' has a digest that is not sha256:<64 hex digits>"
        else:
            yield f"{path}: '{image}' is pinned by tag only; a tag can be pushed again"


POLICY = resource_policy(
    name="pinned-image",
    description="Container images are pinned by @sha256: digest.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Pin the image by digest: <repository>@sha256:<digest> (look it up with "
        "`crane digest <image>` or `skopeo inspect docker://<image>`); a tag may stay in front of the digest for readers."
    ),
    check=check,
)
