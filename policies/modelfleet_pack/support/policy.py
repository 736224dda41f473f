"""Build CrossGuard policies from plain check functions.

A rule module writes `check(obj, config)` (resource rules) or `check(resources, config)` (stack rules)
that yields messages; these factories do the SDK plumbing: skip non-Kubernetes resources, hand over
plain data, fill in config defaults from the rule's config schema (the Pulumi CLI does so too, but a
policy must not depend on it), and report each message.
"""

from __future__ import annotations

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


_last: tuple[str, Any, KubeObject | None] | None = None


def _object(resource_type: str, props: Mapping[str, Any]) -> KubeObject | None:
    """kube_object, converted once per resource: the SDK hands every policy props of its own, a host that hands
    all policies the same props object (modelfleet check in process) gets the conversion the previous policy made.
    The rules only read it."""
    global _last
    if _last is None or _last[1] is not props or _last[0] != resource_type:
        _last = (resource_type, props, kube_object(resource_type, props))
    return _last[2]


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
        resources = [(resource.urn, kube_object(resource.resource_type, resource.props)) for resource in args.resources]
        objects = [(urn, obj) for urn, obj in resources if obj is not None]
        for message, urn in check(objects, _settings(config, args.get_config())):
            report_violation(message, urn)

    return StackValidationPolicy(validate=validate, **_common(name, description, level, severity, remediation, config))
