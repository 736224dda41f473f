"""Typed engine options: what users declare instead of free-form engine flags."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import SpecModel

Quantization = Literal[
    "awq", "awq_marlin", "gptq", "gptq_marlin", "marlin", "fp8", "bitsandbytes",
    "compressed-tensors", "squeezellm", "gguf", "experts_int8", "fbgemm_fp8", "modelopt",
]  # fmt: skip


class EngineOptions(SpecModel):
    """Typed vLLM engine options, compiled to command-line arguments."""

    tensor_parallel_size: int | None = Field(None, ge=1, description="--tensor-parallel-size; must divide the GPUs.")
    max_model_len: int | None = Field(None, ge=1, description="--max-model-len (context length in tokens).")
    gpu_memory_utilization: float | None = Field(
        None, gt=0, le=1, description="--gpu-memory-utilization, fraction of GPU memory for the engine."
    )
    max_num_seqs: int | None = Field(None, ge=1, description="--max-num-seqs (sequences per batch).")
    enable_prefix_caching: bool | None = Field(None, description="--enable-prefix-caching / --no-enable-prefix-caching.")
    enable_chunked_prefill: bool | None = Field(None, description="--enable-chunked-prefill.")
    quantization: Quantization | None = Field(None, description="--quantization method.")
    dtype: Literal["auto", "half", "float16", "bfloat16", "float", "float32"] | None = Field(
        None, description="--dtype of weights and activations."
    )
    served_model_name: str | None = Field(
        None, description="--served-model-name; default the InferenceService name ({{.Name}})."
    )
    trust_remote_code: bool = Field(False, description="--trust-remote-code (only for vetted models).")
    extra_args: list[str] = Field(
        default_factory=list, description="Further engine arguments, passed verbatim after the typed ones."
    )
