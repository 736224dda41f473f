"""Object metadata shared by every builder: the environment's labels and annotations plus the object's own."""

from __future__ import annotations

from typing import Iterable

from modelfleet.plan.metadata_keys import KV_TOKENS_ANNOTATION, MAX_CONCURRENCY_ANNOTATION
from modelfleet.plan import EnvironmentPlan, ModelPlan



def object_metadata(
    env: EnvironmentPlan,
    name: str,
    *,
    namespaced: bool = True,
    labels: Iterable[tuple[str, str]] = (),
    annotations: Iterable[tuple[str, str]] = (),
) -> dict:
    """metadata with name, namespace (if namespaced), then sorted labels and annotations (omitted when empty)."""
    metadata: dict = {"name": name}
    if namespaced:
        metadata["namespace"] = env.namespace
    merged_labels = dict(env.labels)
    merged_labels.update(labels)
    merged_annotations = dict(env.annotations)
    merged_annotations.update(annotations)
    if merged_labels:
        metadata["labels"] = dict(sorted(merged_labels.items()))
    if merged_annotations:
        metadata["annotations"] = dict(sorted(merged_annotations.items()))
    return metadata


def capacity_annotations(model: ModelPlan) -> list[tuple[str, str]]:
    """The estimated KV-cache capacity of one replica and the full-length sequences it holds, recorded on the
    serving object so that `modelfleet diff` (which reads manifests) shows how a change moves them."""
    if model.capacity is None:
        return []
    return [(KV_TOKENS_ANNOTATION, str(model.capacity.kv_tokens)), (MAX_CONCURRENCY_ANNOTATION, f"{model.capacity.max_concurrency:.2f}")]


def env_vars(variables) -> list[dict]:
    """Container env entries from spec EnvVar models (value or secretKeyRef)."""
    rendered = []
    for variable in variables:
        if variable.secret_key_ref is not None:
            ref = variable.secret_key_ref
            rendered.append({"name": variable.name, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}})
        else:
            rendered.append({"name": variable.name, "value": variable.value})
    return rendered
