"""Register one built manifest dict as a Pulumi Kubernetes resource, unchanged.

Core kinds use the typed pulumi-kubernetes classes (so the engine and policy packs see their real type
tokens, e.g. kubernetes:core/v1:ServiceAccount); custom resources use apiextensions.CustomResource.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_kubernetes as k8s

from .knative_features import PATCH_ANNOTATION

_TYPED = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "PersistentVolumeClaim"): k8s.core.v1.PersistentVolumeClaim,
    ("v1", "PersistentVolume"): k8s.core.v1.PersistentVolume,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
}
_PATCHES = {("v1", "ConfigMap"): k8s.core.v1.ConfigMapPatch}
"""Objects another installer owns, which we only patch (server-side apply), marked with PATCH_ANNOTATION."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resource_name(obj: dict) -> str:
    """Explicit, stable Pulumi resource name: <namespace>/<name>, or <name> for cluster-scoped objects."""
    metadata = obj["metadata"]
    return f"{metadata['namespace']}/{metadata['name']}" if metadata.get("namespace") else metadata["name"]


def register_object(obj: dict, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    fields = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
    patches = obj["metadata"].get("annotations", {}).get(PATCH_ANNOTATION) == "true"
    typed = (_PATCHES if patches else _TYPED).get((obj["apiVersion"], obj["kind"]))
    if typed is not None:
        return typed(resource_name(obj), opts=opts, **{_snake(key): value for key, value in fields.items()})
    return k8s.apiextensions.CustomResource(
        resource_name(obj), api_version=obj["apiVersion"], kind=obj["kind"], opts=opts, **fields
    )
