"""GPU pools: a kind of GPU node the models can be scheduled on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from modelfleet.spec.base import Dns1035Label, ExtendedResourceName, Quantity, SpecModel


class Toleration(SpecModel):
    """A node taint that pods of this pool tolerate."""

    key: str = Field(description="Taint key, e.g. nvidia.com/gpu.")
    operator: Literal["Exists", "Equal"] = Field("Exists", description="Exists (any value) or Equal (value must match).")
    value: str | None = Field(None, description="Taint value; only with operator Equal.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        "NoSchedule", description="Taint effect tolerated; null tolerates every effect."
    )

    @model_validator(mode="after")
    def _value_needs_equal(self) -> "Toleration":
        if self.operator == "Exists" and self.value is not None:
            raise ValueError("a value needs operator 'Equal'; set operator: Equal or drop the value")
        if self.operator == "Equal" and self.value is None:
            raise ValueError("operator 'Equal' needs a value; add value or use operator: Exists")
        return self


class GpuPool(SpecModel):
    """A pool of GPU nodes: which extended resource it offers, how to land on it and what it holds."""

    name: Dns1035Label = Field(description="Pool name, referenced by models[].gpu.pool.")
    resource_name: ExtendedResourceName = Field(
        "nvidia.com/gpu",
        description="Extended resource requested per GPU: nvidia.com/gpu, a MIG profile such as "
        "nvidia.com/mig-1g.10gb, amd.com/gpu, intel.com/gpu, habana.ai/gaudi.",
    )
    node_selector: dict[str, str] = Field(default_factory=dict, description="Node labels the pods must match.")
    tolerations: list[Toleration] | None = Field(
        None,
        description="Taints to tolerate. Default: the vendor's GPU taint (e.g. nvidia.com/gpu, NoSchedule). "
        "An empty list tolerates nothing.",
    )
    gpu_model: str | None = Field(
        None,
        description="GPU product, e.g. NVIDIA-A100-SXM4-80GB. On NVIDIA pools it also selects nodes by "
        "the nvidia.com/gpu.product label unless node_selector sets it.",
    )
    memory_per_gpu: Quantity | None = Field(None, description="Memory of one GPU, e.g. 80Gi.")
    gpus_per_node: int | None = Field(None, ge=1, description="GPUs on one node; a pod cannot request more.")
