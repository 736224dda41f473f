"""Strict JSON Schemas of the GitOps engine objects modelfleet renders (rendered/<env>/gitops/).

The Argo CD and Flux CRDs are not in the offline CRD directory (../shared/crds holds KServe, Knative and
KubeRay), so these schemas are written here, for exactly the fields `components/builders/gitops.py` emits and
no more. Every object is closed (`additionalProperties: false`, the metadata too: name, namespace, labels,
annotations), so a field the builder starts to emit without a schema entry fails until it is checked against
upstream and added here. Field names, types, required fields, patterns and enums were checked against the Go API
types the upstream CRDs are generated from (the CRD YAML files at hand were older API versions):

* Application `argoproj.io/v1alpha1` — Argo CD 3.x, `pkg/apis/application/v1alpha1` (ApplicationSpec,
  ApplicationSource, ApplicationDestination, SyncPolicy, SyncPolicyAutomated; the source of
  `manifests/crds/application-crd.yaml`). Every emitted field has the same name and type in the Argo CD 1.x
  `application-crd.yaml` too. Upstream requires `metadata` and `spec`, `spec.destination` and `spec.project`,
  and `spec.source.repoURL`. `syncPolicy.automated.prune` and `selfHeal` are booleans; `syncPolicy.syncOptions`
  is a list of strings.
* GitRepository `source.toolkit.fluxcd.io/v1` — Flux 2.x source-controller, `api/v1/gitrepository_types.go`
  (the source of `config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml`). Upstream requires
  `spec.url` (pattern `^(http|https|ssh)://.*$`) and `spec.interval` (pattern
  `^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$`). `spec.ref.branch` is a string; `spec.secretRef` is a
  LocalObjectReference whose `name` is required.
* Kustomization `kustomize.toolkit.fluxcd.io/v1` — Flux 2.x kustomize-controller, `api/v1/kustomization_types.go`
  and `api/v1/reference_types.go` (the source of `config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml`).
  Upstream requires `spec.interval` (duration pattern as above), `spec.prune` (a boolean) and `spec.sourceRef`:
  its `kind` (enum OCIRepository, GitRepository or Bucket) and its `name`. `spec.path` is a string;
  `spec.timeout` is a duration with the same pattern.

Stricter than upstream, on purpose: fields modelfleet always emits are required too (spec.source with path and
targetRevision, destination.server and namespace, syncPolicy.automated; GitRepository spec.ref; Kustomization
spec.path), names are DNS-1123 labels of at most 63 characters (Argo CD and Flux copy them into label values),
and URLs must have the forms the spec accepts. Checked with JSON Schema draft 2020-12.
"""

from __future__ import annotations

from typing import Any

import jsonschema

from modelfleet.build.gitops import ARGOCD_API_VERSION, FLUX_KUSTOMIZE_API_VERSION, FLUX_SOURCE_API_VERSION
from modelfleet.schemas.validate import SchemaProblem
from modelfleet.spec.base import DNS1123_LABEL

_DURATION = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"}
_LABEL_NAME = {"type": "string", "pattern": DNS1123_LABEL, "maxLength": 63}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_TEXT = {"type": "string", "minLength": 1}


def _closed(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _object_schema(api_version: str, kind: str, spec: dict) -> dict:
    metadata = _closed(
        {"name": _LABEL_NAME, "namespace": _LABEL_NAME, "labels": _STRING_MAP, "annotations": _STRING_MAP},
        ["name", "namespace"],
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **_closed(
            {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": metadata, "spec": spec},
            ["apiVersion", "kind", "metadata", "spec"],
        ),
    }


APPLICATION_SCHEMA = _object_schema(
    ARGOCD_API_VERSION,
    "Application",
    _closed(
        {
            "project": _TEXT,
            "source": _closed(
                {
                    "repoURL": {
                        "type": "string",
                        "pattern": r"^(https://[^\s@/]+/[^\s]+|ssh://[^\s/]+/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)$",
                    },
                    "targetRevision": _TEXT,
                    "path": _TEXT,
                },
                ["repoURL", "targetRevision", "path"],  # upstream: repoURL
            ),
            "destination": _closed(
                {"server": {"type": "string", "pattern": r"^https://[^\s]+$"}, "namespace": _LABEL_NAME},
                ["server", "namespace"],  # upstream: server or name
            ),
            "syncPolicy": _closed(
                {
                    "automated": _closed({"prune": {"type": "boolean"}, "selfHeal": {"type": "boolean"}}, ["prune", "selfHeal"]),
                    "syncOptions": {"type": "array", "items": {"type": "string", "pattern": r"^[A-Za-z]+=[A-Za-z0-9]+$"}},
                },
                ["automated"],
            ),
        },
        ["project", "source", "destination", "syncPolicy"],  # upstream: destination, project
    ),
)

GIT_REPOSITORY_SCHEMA = _object_schema(
    FLUX_SOURCE_API_VERSION,
    "GitRepository",
    _closed(
        {
            "interval": _DURATION,
            "url": {"type": "string", "pattern": r"^(http|https|ssh)://.*$"},
            "ref": _closed({"branch": _TEXT}, ["branch"]),
            "secretRef": _closed({"name": _TEXT}, ["name"]),
        },
        ["interval", "url", "ref"],  # upstream: interval, url
    ),
)

KUSTOMIZATION_SCHEMA = _object_schema(
    FLUX_KUSTOMIZE_API_VERSION,
    "Kustomization",
    _closed(
        {
            "interval": _DURATION,
            "sourceRef": _closed(
                {"kind": {"enum": ["OCIRepository", "GitRepository", "Bucket"]}, "name": _LABEL_NAME}, ["kind", "name"]
            ),
            "path": _TEXT,
            "prune": {"type": "boolean"},
            "timeout": _DURATION,
        },
        ["interval", "sourceRef", "path", "prune"],  # upstream: interval, prune, sourceRef
    ),
)

SCHEMAS: dict[tuple[str, str], dict] = {
    (ARGOCD_API_VERSION, "Application"): APPLICATION_SCHEMA,
    (FLUX_SOURCE_API_VERSION, "GitRepository"): GIT_REPOSITORY_SCHEMA,
    (FLUX_KUSTOMIZE_API_VERSION, "Kustomization"): KUSTOMIZATION_SCHEMA,
}

_VALIDATORS = {key: jsonschema.Draft202012Validator(schema) for key, schema in SCHEMAS.items()}


def _path(parts: tuple) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _messages(error: jsonschema.ValidationError) -> list[tuple[tuple, str]]:
    """One (path, message) per problem; unknown fields are named one by one, with the allowed ones."""
    where = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        return [
            (where + (key,), f"unknown field '{key}'; allowed: {', '.join(allowed)}")
            for key in sorted(set(error.instance) - set(allowed), key=str)
        ]
    message = " ".join(error.message.split())
    return [(where, message if len(message) <= 240 else message[:237] + "...")]


def validate_gitops_object(obj: Any) -> list[SchemaProblem]:
    """Every problem of one engine object against its schema, sorted by path; [] when valid."""
    if not isinstance(obj, dict):
        return [SchemaProblem("", "", "", "", "", f"expected a mapping, got {type(obj).__name__}")]
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name, namespace = str(metadata.get("name", "")), str(metadata.get("namespace", ""))
    validator = _VALIDATORS.get((api_version, kind))
    if validator is None:
        known = ", ".join(f"{kind_} {version}" for version, kind_ in sorted(SCHEMAS))
        return [SchemaProblem(api_version, kind, name, namespace, "", f"no GitOps engine schema for apiVersion {api_version} kind {kind}; known: {known}")]
    found = sorted({item for error in validator.iter_errors(obj) for item in _messages(error)}, key=lambda p: (_path(p[0]), p[1]))
    return [SchemaProblem(api_version, kind, name, namespace, _path(parts), message) for parts, message in found]
