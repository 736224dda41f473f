"""The stack spec: the language users write in stacks/ (pydantic v2, strict)."""

from modelfleet.spec.stack import CONFIG_KEYS, CONFIG_NAMESPACE, StackSpec

__all__ = ["CONFIG_KEYS", "CONFIG_NAMESPACE", "StackSpec"]
