"""What a container runs: its command line as tokens (shell strings split), its environment, its model."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from .objects import items, mapping
from .workloads import Container

TRUTHY = ("true", "1", "yes", "on")
# Flags naming the model a server loads: vLLM --model, TGI --model-id, KServe's huggingfaceserver --model_id.
MODEL_FLAGS = ("--model", "--model-id", "--model_id")
MODEL_ENV = ("MODEL_ID", "HF_MODEL_ID")


def tokens(container: Container) -> list[str]:
    """command + args, with any shell string (`sh -c "vllm serve ..."`) split into words."""
    words: list[str] = []
    for part in items(container.spec.get("command")) + items(container.spec.get("args")):
        if not isinstance(part, str):
            continue
        if any(space in part for space in " \t\n"):
            try:
                words += shlex.split(part, comments=False)
            except ValueError:  # unbalanced quotes: still look at the words
                words += part.split()
        else:
            words.append(part)
    return words


def literal_env(container: Container) -> Iterator[tuple[int, str, str]]:
    """(index, name, value) of each env entry with a literal value."""
    for index, entry in enumerate(items(container.spec.get("env"))):
        entry = mapping(entry)
        name, value = entry.get("name"), entry.get("value")
        if isinstance(name, str) and isinstance(value, str):
            yield index, name, value


def models(words: list[str], container: Container) -> list[str]:
    """Models the command line or environment names: --model X, --model-id=X, `vllm serve X`, MODEL_ID."""
    found = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) and not words[index + 1].startswith("-") else ""
        flag, equals, value = word.partition("=")
        if flag in MODEL_FLAGS and (value if equals else following):
            found.append(value if equals else following)
        elif word == "serve" and index > 0 and words[index - 1].endswith("vllm") and following:
            found.append(following)
    found += [value for _, name, value in literal_env(container) if name in MODEL_ENV and value]
    return found
