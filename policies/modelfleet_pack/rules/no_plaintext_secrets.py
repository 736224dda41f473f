"""no-plaintext-secrets: credentials are read from Secrets at run time, never written into manifests.

A manifest lands in Git (GitOps) and in Pulumi state, so an env value that looks like a credential
(by its name, or by its shape: Hugging Face tokens, AWS access keys, private keys) must come from
`valueFrom.secretKeyRef`, and a Secret carrying data must not be rendered at all. Messages never
repeat the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.commands import literal_env
from modelfleet_pack.support.objects import KubeObject, mapping
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.ray import ServeConfigError, serve_applications
from modelfleet_pack.support.workloads import RAY, containers

# Whole words of the variable name, so TOKENIZERS_PARALLELISM or MAX_TOKENS are not credentials.
CREDENTIAL_NAME = re.compile(r"(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|ACCESS_KEY|API_KEY|CREDENTIALS?)(_|$)", re.IGNORECASE)
CREDENTIAL_VALUES = (
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)


def _credential(name: str, value: str) -> str | None:
    """Why the variable looks like a credential, or None."""
    for what, pattern in CREDENTIAL_VALUES:
        if pattern.search(value):
            return f"its value looks like {what}"
    if CREDENTIAL_NAME.search(name):
        return "its name says it is a credential"
    return None


def _env_findings(obj: KubeObject) -> Iterator[str]:
    for container in containers(obj):
        for index, name, value in literal_env(container):
            why = _credential(name, value) if value else None
            if why:
                yield f"{container.path}.env[{index}]: {name} has a literal value and {why}"


def _ray_env_findings(obj: KubeObject) -> Iterator[str]:
    """runtime_env.env_vars of the RayService's Serve applications (serveConfigV2 is a YAML string)."""
    try:
        applications = serve_applications(obj)
    except ServeConfigError:
        return  # trust-remote-code reports the unreadable serveConfigV2
    for index, app in enumerate(applications):
        env_vars = mapping(mapping(app.get("runtime_env")).get("env_vars"))
        for name, value in env_vars.items():
            why = _credential(str(name), value) if isinstance(value, str) and value else None
            if why:
                yield f"spec.serveConfigV2.applications[{index}].runtime_env.env_vars.{name}: has a literal value and {why}"


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    if obj.is_a("", "Secret"):
        for field in ("data", "stringData"):
            keys = sorted(mapping(obj.data.get(field)))
            if keys:
                yield f"{field}: the Secret carries values for {', '.join(keys)}"
    yield from _env_findings(obj)
    if obj.is_a(RAY, "RayService"):
        yield from _ray_env_findings(obj)


POLICY = resource_policy(
    name="no-plaintext-secrets",
    description="Credentials come from Secrets by reference; manifests carry no secret values.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Create the Secret out of band (kubectl create secret, External Secrets, Sealed Secrets) and reference it: "
        "env: [{name: HF_TOKEN, valueFrom: {secretKeyRef: {name: <secret>, key: <key>}}}] (in modelfleet: secretKeyRef in env)."
    ),
    check=check,
)
