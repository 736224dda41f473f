"""Register one built manifest dict as a Pulumi Kubernetes resource, unchanged.

Core kinds use the typed pulumi-kubernetes classes (so the engine and policy packs see their real type
tokens, e.g. kubernetes:core/v1:ServiceAccount); custom resources use apiextensions.CustomResource.

The one change made here: with an engine image built in the stack (modelfleet:imageBuild), every string equal
to its tag, which is what the builders and `modelfleet render` write, becomes the image's `ref` Output
(<tag>@<digest> of the push), and the object depends on the image.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from modelfleet.build.resource_names import resource_name
from modelfleet.plan.metadata_keys import PATCH_ANNOTATION

if TYPE_CHECKING:
    from components.engine_image_build import EngineImage

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


def with_built_image(value: Any, image: EngineImage) -> tuple[Any, bool]:
    """`value` (a built object or any part of it) with every string equal to the image's tag replaced by its
    `ref` Output, and whether there was one. The builders stay pure: this is the only place the ref goes in."""
    if isinstance(value, str):
        return (image.ref, True) if value == image.tag else (value, False)
    if isinstance(value, dict):
        items = {key: with_built_image(item, image) for key, item in value.items()}
        return {key: item for key, (item, _) in items.items()}, any(found for _, found in items.values())
    if isinstance(value, list):
        items = [with_built_image(item, image) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    return value, False


def register_object(obj: dict, opts: pulumi.ResourceOptions, engine_image: EngineImage | None = None) -> pulumi.CustomResource:
    """Register `obj` as built; with `engine_image`, it runs the image's ref where it names its tag."""
    if engine_image is not None:
        obj, runs_image = with_built_image(obj, engine_image)
        if runs_image:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[engine_image]))
    fields = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
    patches = obj["metadata"].get("annotations", {}).get(PATCH_ANNOTATION) == "true"
    typed = (_PATCHES if patches else _TYPED).get((obj["apiVersion"], obj["kind"]))
    if typed is not None:
        return typed(resource_name(obj), opts=opts, **{_snake(key): value for key, value in fields.items()})
    return k8s.apiextensions.CustomResource(
        resource_name(obj), api_version=obj["apiVersion"], kind=obj["kind"], opts=opts, **fields
    )
