"""A RayService's Ray Serve config: `spec.serveConfigV2` is YAML inside a string."""

from __future__ import annotations

from functools import lru_cache

import yaml

from .objects import KubeObject, items, mapping


class ServeConfigError(Exception):
    """serveConfigV2 is not YAML; the message says where."""


@lru_cache(maxsize=1024)
def _applications(text: str) -> tuple[dict, ...]:
    """Parsed once per text for every rule and object that reads it: parsing is the slowest step of the rules that
    look into it. The rules only read the result."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ServeConfigError(f"is not valid YAML (line {mark.line + 1})" if mark is not None else "is not valid YAML") from None
    return tuple(mapping(app) for app in items(mapping(config).get("applications")))


def serve_applications(obj: KubeObject) -> tuple[dict, ...]:
    """The applications of the serve config (empty when there is none)."""
    text = obj.spec.get("serveConfigV2")
    return _applications(text) if isinstance(text, str) else ()
