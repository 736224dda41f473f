"""GPU placement: the extended resource, tolerations and node selector of a pool, and the per-node limit."""

from __future__ import annotations

from modelfleet.plan import GpuPlacement
from modelfleet.spec.gpu_pool import GpuPool


def gpu_placement(pool: GpuPool, count: int, per_pod: int | None = None) -> GpuPlacement:
    """Placement of `count` GPUs in pods of `per_pod` (default: all in one pod) on `pool`."""
    vendor = pool.resource_name.split("/")[0]
    tolerations = pool.tolerations
    if tolerations is None:
        default_key = "nvidia.com/gpu" if vendor == "nvidia.com" else pool.resource_name
        rendered = ({"key": default_key, "operator": "Exists", "effect": "NoSchedule"},)
    else:
        rendered = tuple(toleration.model_dump(by_alias=True, exclude_none=True) for toleration in tolerations)
    selector = dict(pool.node_selector)
    if pool.gpu_model and vendor == "nvidia.com":
        selector.setdefault("nvidia.com/gpu.product", pool.gpu_model)
    return GpuPlacement(pool.resource_name, count, per_pod or count, rendered, tuple(sorted(selector.items())))


def over_node_size(pool: GpuPool, per_pod: int) -> bool:
    """True when one pod would ask for more GPUs than a node of the pool has."""
    return pool.gpus_per_node is not None and per_pod > pool.gpus_per_node
