"""Knative feature flags a stack's pods need, and the opt-in object that turns them on.

Knative Serving refuses pod-spec fields it has not been told to allow (config-features in knative-serving):
GPU tolerations, node selectors, affinity, topology spread, priority classes, the pod securityContext and PVC
volumes (writable ones need a second flag) among them, per Knative 1.23's config-features. Knative Services and InferenceServices in
Knative mode that use them fail at admission otherwise, so the compiler names the flags, and with
environment.platform.manageKnativeFeatures emits the ConfigMap that enables them.
"""

from __future__ import annotations

from modelfleet.plan.metadata_keys import DEPLOYMENT_MODE_ANNOTATION, PATCH_ANNOTATION

FEATURES_NAMESPACE, FEATURES_CONFIG_MAP = "knative-serving", "config-features"
GITOPS_PATCH_ANNOTATIONS = {
    "argocd.argoproj.io/sync-options": "Prune=false,Delete=false,ServerSideApply=true",
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
    "kustomize.toolkit.fluxcd.io/ssa": "Merge",
}
"""How Argo CD and Flux must treat such a patch in a rendered tree: apply it server-side, merged into the live
object (our keys only), and never prune or delete it when it leaves the tree, since the object itself (here
Knative's own config-features ConfigMap) belongs to its installer."""

_FLAGS = (
    ("tolerations", "kubernetes.podspec-tolerations"),
    ("nodeSelector", "kubernetes.podspec-nodeselector"),
    ("affinity", "kubernetes.podspec-affinity"),
    ("topologySpreadConstraints", "kubernetes.podspec-topologyspreadconstraints"),
    ("priorityClassName", "kubernetes.podspec-priorityclassname"),
    ("securityContext", "kubernetes.podspec-securitycontext"),
)
PVC_FLAG = "kubernetes.podspec-persistent-volume-claim"
PVC_WRITE_FLAG = "kubernetes.podspec-persistent-volume-write"


def _knative_pod_specs(objects: list[dict]):
    for obj in objects:
        if obj["kind"] == "Service" and obj["apiVersion"].startswith("serving.knative.dev/"):
            yield obj["metadata"]["name"], obj["spec"]["template"]["spec"]
        elif obj["kind"] == "InferenceService" and obj["metadata"].get("annotations", {}).get(DEPLOYMENT_MODE_ANNOTATION) in ("Knative", "Serverless"):
            yield obj["metadata"]["name"], obj["spec"]["predictor"]


def required_features(objects: list[dict]) -> dict[str, list[str]]:
    """config-features flag -> names of the Knative workloads that need it."""
    needed: dict[str, set[str]] = {}
    for name, pod in _knative_pod_specs(objects):
        for field, flag in _FLAGS:
            if pod.get(field):
                needed.setdefault(flag, set()).add(name)
        claims = [volume["persistentVolumeClaim"] for volume in pod.get("volumes", []) if "persistentVolumeClaim" in volume]
        if claims:
            needed.setdefault(PVC_FLAG, set()).add(name)
        if any(not claim.get("readOnly") for claim in claims):
            needed.setdefault(PVC_WRITE_FLAG, set()).add(name)
    return {flag: sorted(names) for flag, names in sorted(needed.items())}


def features_warning(env: str, needed: dict[str, list[str]]) -> str:
    listed = "; ".join(f"{flag} (for {', '.join(names)})" for flag, names in needed.items())
    return (f"{env}: Knative must allow these pod-spec features in {FEATURES_NAMESPACE}/{FEATURES_CONFIG_MAP}, "
            f"or the pods are rejected: {listed}. Ask the cluster admin to set them to \"enabled\", or set "
            "environment.platform.manageKnativeFeatures: true to apply them from this stack")


def build_config_features(needed: dict[str, list[str]], labels: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": FEATURES_CONFIG_MAP,
            "namespace": FEATURES_NAMESPACE,
            "labels": dict(sorted(labels.items())),
            "annotations": {**GITOPS_PATCH_ANNOTATIONS, PATCH_ANNOTATION: "true"},
        },
        "data": {flag: "enabled" for flag in needed},
    }
