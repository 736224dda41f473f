"""Checks of the values a stack passes through unchanged: labels, annotations, environment variables and
command-line arguments.

They are written into every manifest, Pulumi state and every diff as they are, so none may carry a credential
(modelfleet/catalog/credentials.py says what one looks like; messages never quote it), and none may set a label or
annotation the compiler writes itself (a user value would silently bypass the checks behind it, e.g. the
deployment-mode rules behind serving.kserve.io/deploymentMode).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

from modelfleet.catalog.credentials import credential, credential_name, credential_value
from modelfleet.plan.metadata_keys import managed_key
from modelfleet.resolve.engine_args import is_flag
from modelfleet.resolve.problems import Problems

ENV_FORMS = {"--api-key": "VLLM_API_KEY", "--hf-token": "HF_TOKEN", "--token": "HF_TOKEN"}
"""Flags whose value the engines also read from an environment variable, which can come from a Secret."""

_FROM_SECRET = "set it from a Secret instead (env with secretKeyRef)"

# The same labels, annotations and arguments recur on every model of a stack: each is judged once.
_credential = functools.lru_cache(maxsize=4096)(credential)
_credential_name = functools.lru_cache(maxsize=4096)(credential_name)
_credential_value = functools.lru_cache(maxsize=4096)(credential_value)


def metadata_problems(values: Mapping[str, str], at: tuple, annotations: bool, problems: Problems) -> None:
    """Labels (`annotations` False) or annotations: no managed key, no credential."""
    kind = "annotation" if annotations else "label"
    for key, value in values.items():
        if managed_key(key, annotations):
            problems.add(at + (key,), f"{key} is {'an' if annotations else 'a'} {kind} modelfleet sets itself; remove it and use the typed setting it stands for (deploymentMode, scaling, auth, metrics, ...)")
        why = _credential(key, value)
        if why is not None:
            problems.add(at + (key,), f"the {kind} {key} has a literal value and {why}; it would be written into every manifest and diff: remove it, or reference a Secret")


def env_problems(env: Iterable, at: tuple, problems: Problems) -> None:
    """One container may not set a variable twice (Kubernetes keeps the last, silently)."""
    first: dict[str, int] = {}
    for index, variable in enumerate(env):
        if variable.name in first:
            problems.add(at + (index, "name"), f"{variable.name} is set twice (also env[{first[variable.name]}]); keep one")
        first.setdefault(variable.name, index)


def argument_problems(args: Iterable[str], at: tuple, problems: Problems) -> None:
    """Command-line arguments: no credential, whether after a flag named like one or by its own shape."""
    args = list(args)
    values_of_flags: set[int] = set()  # indexes already reported as the value of a credential flag
    for index, arg in enumerate(args):
        if index in values_of_flags:
            continue
        flag, equals, inline = arg.partition("=") if is_flag(arg) else ("", "", "")
        if flag and _credential_name(flag):
            value_index = index if equals else index + 1
            if equals or (value_index < len(args) and not is_flag(args[value_index])):
                variable = ENV_FORMS.get(flag)
                fix = f"set the environment variable {variable} from a Secret (env: {variable} with secretKeyRef) and drop the flag" if variable else _FROM_SECRET
                problems.add(at + (value_index,), f"{flag} has a literal value, which would be written into every manifest and diff; {fix}")
                values_of_flags.add(value_index)
                continue
        what = _credential_value(inline if equals else arg)
        if what is not None:
            problems.add(at + (index,), f"this argument looks like {what}; it would be written into every manifest and diff: {_FROM_SECRET}")
