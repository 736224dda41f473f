"""no-plaintext-secrets: credentials are read from Secrets at run time, never written into manifests.

A manifest lands in Git (GitOps) and in Pulumi state, so a value that looks like a credential (by its name:
`HF_TOKEN`, `OPENAI_KEY`, `--api-key`; or by its shape: issuers' token prefixes, random tokens, private keys)
must come from `valueFrom.secretKeyRef`, in env, in command-line arguments, in labels and annotations; and a
Secret carrying data must not be rendered at all. Messages never repeat the value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.commands import literal_env, tokens
from modelfleet_pack.support.credentials import credential, credential_name, credential_value
from modelfleet_pack.support.objects import KubeObject, mapping
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.ray import ServeConfigError, serve_applications
from modelfleet_pack.support.workloads import RAY, containers

def _env_findings(obj: KubeObject) -> Iterator[str]:
    for container in containers(obj):
        for index, name, value in literal_env(container):
            why = credential(name, value) if value else None
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
            why = credential(str(name), value) if isinstance(value, str) and value else None
            if why:
                yield f"spec.serveConfigV2.applications[{index}].runtime_env.env_vars.{name}: has a literal value and {why}"


def _argument_findings(obj: KubeObject) -> Iterator[str]:
    """A credential flag with a literal value (`--api-key X`, `--hf-token=X`), or an argument shaped like a token."""
    for container in containers(obj):
        words = tokens(container)
        for index, word in enumerate(words):
            flag, equals, inline = word.partition("=") if word.startswith("-") else ("", "", "")
            following = words[index + 1] if index + 1 < len(words) and not words[index + 1].startswith("-") else ""
            looks = credential_value(inline if equals else word)
            if flag and credential_name(flag) and (inline if equals else following):
                yield f"{container.path}: {flag} has a literal value; pass it from a Secret through an environment variable"
            elif looks and not (index and credential_name(words[index - 1])):  # a flag's value is reported with the flag
                yield f"{container.path}: an argument looks like {looks}"


def _metadata_findings(obj: KubeObject) -> Iterator[str]:
    for field in ("labels", "annotations"):
        for key, value in sorted(mapping(obj.metadata.get(field)).items()):
            why = credential(str(key), value) if isinstance(value, str) and value else None
            if why:
                yield f"metadata.{field}.{key}: has a literal value and {why}"


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    if obj.is_a("", "Secret"):
        for field in ("data", "stringData"):
            keys = sorted(mapping(obj.data.get(field)))
            if keys:
                yield f"{field}: the Secret carries values for {', '.join(keys)}"
    yield from _env_findings(obj)
    yield from _argument_findings(obj)
    yield from _metadata_findings(obj)
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
