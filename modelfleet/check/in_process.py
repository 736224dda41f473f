"""The policy pack evaluated in this process, as the pulumi-policy SDK's analyzer evaluates it behind gRPC.

The pack's own `__main__.py` assembles it: it is run once per process with `pulumi_policy.PolicyPack` standing in
for a recorder, so the same policy objects, pack enforcement level and initial config are used as by
`python -m pulumi.policy` under `pulumi preview`. Each request is then evaluated the way the SDK's servicer
(`pulumi_policy.policy._PolicyAnalyzerServicer`) does it:

- properties as the SDK reads them from the request: the values of the Struct round trip (numbers as floats; see
  `as_received`), then `deserialize_properties` and the `unknown_checking_proxy`: done once per object for every
  policy, Analyze and AnalyzeStack alike, instead of once per policy and call (the rules only read them; the parity
  test compares every verdict with the gRPC path);
- the policy config as the Configure call delivers it (its own Struct round trip), the configured enforcement
  level, else the policy's, else the pack's; `disabled` skips a policy, `remediate` reports as mandatory;
- the same violation messages, the advisory "can't run policy ... during preview" for unknown values, async
  validations run to completion in their own event loop, and a failing validation as the error gRPC carries.

What the servicer does and this does not: configure the Pulumi runtime settings (project, stack, dry run) in the
process, and put a deadline on a call. `modelfleet check --protocol grpc` drives the real pack process instead.
"""

from __future__ import annotations

import asyncio
import math
import runpy
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from modelfleet.check.analyzer_client import Diagnostic, PolicyInfo, PolicyPackError, Resource, diagnostic, over_the_wire, whole_numbers

SDK_PACK_VERSION = "0.0.1"  # what the Python SDK reports; the CLI takes the version from PulumiPolicy.yaml


class NotInProcess(Exception):
    """The pack cannot be evaluated in this process (the caller drives it over gRPC); the message says why."""


class _NotPlain(Exception):
    """A value `as_received` does not convert itself: the Struct round trip converts it (or fails on it)."""


def _utf8(text: str) -> bool:
    """Whether a protobuf string can hold the text: not with a lone surrogate, which UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _received(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        if value.isascii() or _utf8(value):
            return value
    elif kind is dict:
        for key in value:
            if type(key) is not str or not (key.isascii() or _utf8(key)):
                raise _NotPlain
        return {key: _received(item) for key, item in value.items()}
    elif kind is list:
        return [_received(item) for item in value]
    elif kind is bool or value is None:
        return value
    elif kind is int:
        try:
            return float(value)
        except OverflowError:
            pass
    elif kind is float and math.isfinite(value):
        return value
    raise _NotPlain


def as_received(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The values `over_the_wire` gives, without building the Struct: a Struct value holds null, a bool, a UTF-8
    string, a double (an int arrives as float(int), the same rounding) or a list or map of them. Anything else
    (another type, a float that is not finite, an int out of a double's range, a lone surrogate) goes through
    the round trip itself, which converts it or raises as the gRPC path does. Keys stay in the object's order
    instead of the Struct map's, which differs between hops anyway; the rules do not depend on it."""
    try:
        return _received(properties)
    except _NotPlain:
        return over_the_wire(properties)


@dataclass(frozen=True)
class _Pack:
    name: str
    level: Any  # the pack's EnforcementLevel
    policies: tuple[Any, ...]  # pulumi_policy Policy objects


_PACKS: dict[Path, _Pack] = {}
_LOADING = threading.Lock()


def _top_level_names(pack_dir: Path) -> set[str]:
    return {path.stem if path.suffix == ".py" else path.name for path in pack_dir.iterdir() if path.suffix == ".py" or (path / "__init__.py").is_file()} - {"__main__"}


def _load(pack_dir: Path) -> _Pack:
    """Run the pack's __main__.py with PolicyPack recording its arguments instead of serving them."""
    import pulumi_policy

    recorded: list[dict[str, Any]] = []

    class Recorder:
        def __init__(self, name: str, policies: list, enforcement_level: Any = None, initial_config: Any = None, **_: Any):
            recorded.append({"name": name, "policies": policies, "level": enforcement_level, "initial_config": initial_config})

    for name in _top_level_names(pack_dir):
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None) if module is not None else None
        if module is not None and (origin is None or not Path(origin).resolve().is_relative_to(pack_dir)):
            raise NotInProcess(f"a module '{name}' from elsewhere is already loaded")
    real = pulumi_policy.PolicyPack
    pulumi_policy.PolicyPack = Recorder
    sys.path.insert(0, str(pack_dir))
    try:
        runpy.run_path(str(pack_dir / "__main__.py"), run_name="__main__")
    except BaseException as error:  # the gRPC path reports a pack that fails to load, with its output
        raise NotInProcess(f"loading it failed: {error!r}") from None
    finally:
        pulumi_policy.PolicyPack = real
        sys.path.remove(str(pack_dir))
    # An initial config goes to the CLI, which merges it into the stack's config: not modelled here.
    if len(recorded) != 1 or recorded[0]["initial_config"]:
        raise NotInProcess("its __main__.py does not build exactly one PolicyPack without initial config")
    pack = recorded[0]
    level = pack["level"] if pack["level"] is not None else pulumi_policy.EnforcementLevel.ADVISORY
    return _Pack(pack["name"], level, tuple(pack["policies"]))


def load_pack(pack_dir: Path) -> _Pack:
    pack_dir = pack_dir.resolve()
    with _LOADING:
        if pack_dir not in _PACKS:
            _PACKS[pack_dir] = _load(pack_dir)
        return _PACKS[pack_dir]


class InProcessPack:
    """The pack for one stack, with the interface of analyzer_client.PolicyPackProcess."""

    def __init__(self, pack_dir: Path, project: str, stack: str):
        from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy

        self.pack_dir = pack_dir
        self.stack = stack
        self._pack = load_pack(pack_dir)
        self._levels = EnforcementLevel
        self._resource_policy, self._stack_policy = ResourceValidationPolicy, StackValidationPolicy
        self._config: dict[str, tuple[Any, dict[str, Any] | None]] = {}
        self._props_of: dict[int, tuple[Resource, Any]] = {}  # id(resource) -> (resource, its props): see _props
        self.policies = {policy.name: self._info(policy, PolicyConfigSchema) for policy in self._pack.policies}

    def __enter__(self) -> "InProcessPack":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._props_of.clear()

    def _info(self, policy: Any, config_schema_type: type) -> PolicyInfo:
        """What GetAnalyzerInfo reports, as analyzer_client reads it."""
        schema = policy.config_schema if isinstance(policy.config_schema, config_schema_type) else None
        level = policy.enforcement_level if policy.enforcement_level is not None else self._pack.level
        return PolicyInfo(
            name=policy.name,
            description=policy.description,
            level=level.value,
            severity=policy.severity.value if policy.severity is not None else "",
            remediation=policy.remediation_steps or "",
            config_schema=whole_numbers(over_the_wire(schema.properties)) if schema is not None and schema.properties else {},
            required=tuple(schema.required or ()) if schema is not None else (),
            stack=isinstance(policy, self._stack_policy),
        )

    def configure(self, config: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        self._config = {name: (self._levels(level), over_the_wire(properties) or None) for name, (level, properties) in config.items()}

    def _level(self, policy: Any) -> Any:
        if policy.name in self._config:
            return self._config[policy.name][0]
        return policy.enforcement_level if policy.enforcement_level is not None else self._pack.level

    def _props(self, resource: Resource) -> Any:
        """The resource's properties as the policies read them, made once for all its Analyze and AnalyzeStack
        policies. The entry holds the resource, so its id is not reused while the pack is open; the same props object
        lets the pack convert the object once (policies/modelfleet_pack/support/policy.py)."""
        from pulumi_policy.deserialize import deserialize_properties
        from pulumi_policy.proxy import unknown_checking_proxy

        entry = self._props_of.get(id(resource))
        if entry is None:
            entry = self._props_of[id(resource)] = (resource, unknown_checking_proxy(deserialize_properties(as_received(resource.properties))))
        return entry[1]

    def _run(self, policy: Any, args: Any, level: Any, urn: str, method: str, subject: str, found: list[Diagnostic]) -> None:
        from pulumi_policy.policy import _NotApplicableError
        from pulumi_policy.proxy import UnknownValueError

        def report_violation(message: str, violating: str | None = None) -> None:
            if message and not isinstance(message, str):
                raise TypeError("Expected message to be a string")
            if violating is not None and not isinstance(violating, str):
                raise TypeError("Expected urn to be a string")
            full = policy.description + (f"\n{message}" if message else "")
            found.append(diagnostic(self.policies, policy.name, level.value, full, violating or urn))

        try:
            result = policy.validate(args, report_violation)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))
                loop.close()
        except UnknownValueError as error:
            message = f"can't run policy '{policy.name}' from policy pack '{self._pack.name}@v{SDK_PACK_VERSION}' during preview: {error.message}"
            found.append(diagnostic(self.policies, policy.name, "advisory", message, urn))
        except _NotApplicableError:
            pass
        except Exception as error:  # what gRPC returns for an exception in the servicer
            what = f"{method} of {subject}" if subject else method
            raise PolicyPackError(f"policy pack {self.pack_dir}: {what} failed: Exception calling application: {error}") from None

    def _options(self) -> Any:
        """The options of a resource registered without any (what an empty request carries); one object for all the
        policies of a resource, like its props."""
        from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions

        return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)

    def analyze(self, resource: Resource) -> list[Diagnostic]:
        from pulumi_policy import ResourceValidationArgs

        found: list[Diagnostic] = []
        props = options = None
        for policy in self._pack.policies:
            level = self._level(policy)
            if level == self._levels.DISABLED or not isinstance(policy, self._resource_policy) or not policy.has_validation():
                continue
            if level == self._levels.REMEDIATE:
                level = self._levels.MANDATORY
            if props is None:
                props, options = self._props(resource), self._options()
            config = self._config.get(policy.name, (None, None))[1]
            args = ResourceValidationArgs(resource.type, props, resource.urn, resource.name, options, None, dict(config) if config else None, MappingProxyType({}))
            self._run(policy, args, level, resource.urn, "Analyze", f"{resource.type} {resource.name}", found)
        return found

    def analyze_stack(self, resources: list[Resource]) -> list[Diagnostic]:
        from pulumi_policy import PolicyResource, StackValidationArgs

        found: list[Diagnostic] = []
        stack_resources = None
        for policy in self._pack.policies:
            level = self._level(policy)
            if level == self._levels.DISABLED or not isinstance(policy, self._stack_policy):
                continue
            if level == self._levels.REMEDIATE:
                level = self._levels.MANDATORY
            if stack_resources is None:
                stack_resources = [PolicyResource(r.type, self._props(r), r.urn, r.name, self._options(), None, None, [], {}) for r in resources]
            config = self._config.get(policy.name, (None, None))[1]
            args = StackValidationArgs(stack_resources, dict(config) if config else None, MappingProxyType({}))
            self._run(policy, args, level, "", "AnalyzeStack", f"stack {self.stack}", found)
        return found
