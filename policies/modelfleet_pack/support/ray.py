"""A RayService's Ray Serve config: `spec.serveConfigV2` is YAML inside a string."""

from __future__ import annotations

import yaml

from .objects import KubeObject, items, mapping


class ServeConfigError(Exception):
    """serveConfigV2 is not YAML; the message says where."""


def serve_applications(obj: KubeObject) -> list[dict]:
    """The applications of the serve config (empty when there is none)."""
    text = obj.spec.get("serveConfigV2")
    if not isinstance(text, str):
        return []
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ServeConfigError(f"is not valid YAML (line {mark.line + 1})" if mark is not None else "is not valid YAML") from None
    return [mapping(app) for app in items(mapping(config).get("applications"))]
