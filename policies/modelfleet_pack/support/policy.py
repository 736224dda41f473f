"""Build CrossGuard policies from plain check functions.

A rule module writes `check(obj, config)` (resource rules) or `check(resources, config)` (stack rules)
that yields messages; these factories do the SDK plumbing: skip non-Kubernetes resources, hand over
plain data, fill in config defaults from the rule's config schema (the Pulumi CLI does so too, but a
policy must not depend on it), and report each message.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .objects import KubeObject, kube_object, plain

ResourceCheck = Callable[[KubeObject, Mapping[str, Any]], Iterable[str]]
# Stack checks get (urn, object) pairs and yield (message, urn); a None urn blames the whole stack.
StackCheck = Callable[[list[tuple[str, KubeObject]], Mapping[str, Any]], Iterable[tuple[str, str | None]]]


# id(props) -> (reference to props, resource type, object); an entry goes when its props object does.
_converted: dict[int, tuple[weakref.ref, str, KubeObject | None]] = {}


def _object(resource_type: str, props: Mapping[str, Any]) -> KubeObject | None:
    """kube_object, converted once per props object. The SDK hands every policy props of its own; a host that hands
    all policies of a resource, resource and stack policies alike, the same props object (modelfleet check in
    process) gets the conversion the first policy made, and what the rules derived from it (the rules only read
    both). Props that cannot be referenced weakly are converted each time."""
    key = id(props)
    entry = _converted.get(key)
    if entry is not None and entry[0]() is props and entry[1] == resource_type:
        return entry[2]
    obj = kube_object(resource_type, props)
    try:
        # The callback runs before props is freed, so before its id can be reused.
        reference = weakref.ref(props, lambda _, key=key: _converted.pop(key, None))
    except TypeError:
        return obj
    _converted[key] = (reference, resource_type, obj)
    return obj


def _settings(schema: dict[str, dict] | None, config: Mapping[str, Any]) -> dict[str, Any]:
    defaults = {key: spec["default"] for key, spec in (schema or {}).items() if "default" in spec}
    return {**defaults, **plain(config)}


def _common(name: str, description: str, level: EnforcementLevel, severity: Severity, remediation: str, config: dict[str, dict] | None) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "enforcement_level": level,
        "severity": severity,
        "remediation_steps": remediation,
        "config_schema": PolicyConfigSchema(config) if config else None,
    }


def resource_policy(*, name: str, description: str, level: EnforcementLevel, severity: Severity, remediation: str, check: ResourceCheck, config: dict[str, dict] | None = None) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        obj = _object(args.resource_type, args.props)
        if obj is not None:
            for message in check(obj, _settings(config, args.get_config())):
                report_violation(message, None)

    return ResourceValidationPolicy(validate=validate, **_common(name, description, level, severity, remediation, config))


def stack_policy(*, name: str, description: str, level: EnforcementLevel, severity: Severity, remediation: str, check: StackCheck, config: dict[str, dict] | None = None) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [(resource.urn, _object(resource.resource_type, resource.props)) for resource in args.resources]
        objects = [(urn, obj) for urn, obj in resources if obj is not None]
        for message, urn in check(objects, _settings(config, args.get_config())):
            report_violation(message, urn)

    return StackValidationPolicy(validate=validate, **_common(name, description, level, severity, remediation, config))
