"""Container image references: `registry/repo:tag@sha256:digest`, each part optional but the repository."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .objects import KubeObject, per_object
from .workloads import containers

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """Pinned by a sha256 digest, the only reference that cannot move."""
        return self.digest is not None and _DIGEST.match(self.digest) is not None

    @property
    def floating(self) -> bool:
        """Neither a digest nor a tag other than latest: whatever was pushed last."""
        return self.digest is None and self.tag in (None, "latest")


def parse_image(image: str) -> ImageRef:
    name, _, digest = image.partition("@")
    # A ':' after the last '/' starts the tag; one before it belongs to a registry port (host:5000/repo).
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return ImageRef(name[:colon], name[colon + 1 :], digest or None)
    return ImageRef(name, None, digest or None)


@per_object
def container_images(obj: KubeObject) -> tuple[tuple[str, str, ImageRef], ...]:
    """(path of the image field, image, parsed) for every container of the object that names an image."""
    found = []
    for container in containers(obj):
        image = container.spec.get("image")
        if isinstance(image, str):
            found.append((f"{container.path}.image", image, parse_image(image.strip())))
    return tuple(found)
