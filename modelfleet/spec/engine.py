"""Typed engine options: what users declare instead of free-form vLLM or TGI flags.

Which values a given engine release accepts is checked against the pinned version when the options are
compiled (modelfleet/resolve/engine_args.py); the spec accepts every value some release knows.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from modelfleet.catalog.engine_flags import TGI_QUANTIZE, VLLM_KV_CACHE_DTYPES, VLLM_QUANTIZATION
from modelfleet.spec.architecture import ArchitectureRef
from modelfleet.spec.base import SpecModel

Quantization = Literal[tuple(VLLM_QUANTIZATION)]
KvCacheDtype = Literal[tuple(VLLM_KV_CACHE_DTYPES)]
TgiQuantize = Literal[tuple(TGI_QUANTIZE)]


def _relative_path(value: str) -> str:
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or all(part in ("", ".") for part in parts):
        raise ValueError(f"'{value}' is not a path inside the model directory; write it relative to that directory, without '..'")
    return value


ModelDirPath = Annotated[str, AfterValidator(_relative_path)]
"""A path under the directory the model is downloaded to (/mnt/models), e.g. 'draft' or 'adapters/sql'."""

AdapterName = Annotated[str, StringConstraints(pattern=r"^[^\s=]+$")]


class Lora(SpecModel):
    """LoRA adapters served on top of the model; declaring this block enables LoRA (--enable-lora)."""

    max_loras: int | None = Field(None, ge=1, description="--max-loras: adapters in one batch (vLLM default 1).")
    max_lora_rank: int | None = Field(
        None, ge=1, description="--max-lora-rank: the largest adapter rank (vLLM default 16; allowed values depend on the version)."
    )
    modules: dict[AdapterName, ModelDirPath] = Field(
        default_factory=dict,
        description="--lora-modules: adapter name (the model name clients request) -> adapter directory relative "
        "to the model directory, e.g. {sql: adapters/sql}.",
    )


class Speculative(SpecModel):
    """Speculative decoding: n-gram lookup in the prompt, or a small draft model stored next to the model."""

    method: Literal["ngram", "draft"] = Field(
        description="ngram: propose tokens by matching n-grams of the prompt; draft: propose them with the draft model."
    )
    num_speculative_tokens: int = Field(ge=1, description="Tokens proposed per step.")
    model: ModelDirPath | None = Field(
        None,
        description="draft: the draft model's directory relative to the model directory (store both in the same "
        "storage folder), e.g. 'draft'.",
    )
    architecture: ArchitectureRef | None = Field(
        None,
        description="draft: the draft model's architecture (a catalog name such as llama-3.2-1b, or inline facts); "
        "its weights and KV cache count in the GPU-fit estimate.",
    )
    prompt_lookup_max: int | None = Field(None, ge=1, description="ngram (required): longest n-gram matched in the prompt.")
    prompt_lookup_min: int | None = Field(None, ge=1, description="ngram: shortest n-gram matched in the prompt.")

    @model_validator(mode="after")
    def _method_fields(self) -> "Speculative":
        if self.method == "draft":
            if self.model is None:
                raise ValueError("method draft needs model, the draft model's directory relative to the model directory; add model")
            if self.prompt_lookup_max is not None or self.prompt_lookup_min is not None:
                raise ValueError("promptLookupMax and promptLookupMin are for method ngram; remove them or use method ngram")
            return self
        if self.model is not None:
            raise ValueError("model is the draft model of method draft; remove it or use method draft")
        if self.architecture is not None:
            raise ValueError("architecture is the draft model's, for method draft; remove it or use method draft")
        if self.prompt_lookup_max is None:
            raise ValueError("method ngram needs promptLookupMax, the longest n-gram matched in the prompt; add it")
        if self.prompt_lookup_min is not None and self.prompt_lookup_min > self.prompt_lookup_max:
            raise ValueError(
                f"promptLookupMin {self.prompt_lookup_min} is above promptLookupMax {self.prompt_lookup_max}; "
                "lower promptLookupMin or raise promptLookupMax"
            )
        return self


class MultimodalLimits(SpecModel):
    """Inputs of each modality one prompt may carry (vision-language models)."""

    image: int | None = Field(None, ge=0, description="Images per prompt.")
    video: int | None = Field(None, ge=0, description="Videos per prompt.")


class EngineOptions(SpecModel):
    """Typed vLLM engine options, compiled to the command-line arguments (or engine kwargs) of the pinned vLLM version."""

    tensor_parallel_size: int | None = Field(None, ge=1, description="--tensor-parallel-size; must divide the GPUs.")
    pipeline_parallel_size: int | None = Field(
        None, ge=1, description="--pipeline-parallel-size: pipeline stages; an engine uses tensor × pipeline parallel size GPUs."
    )
    data_parallel_size: int | None = Field(
        None, ge=1, description="--data-parallel-size (vLLM 0.8.3+): engine replicas inside one server."
    )
    distributed_executor_backend: Literal["ray", "mp"] | None = Field(
        None, description="--distributed-executor-backend (vLLM 0.4.3+): mp (processes on one node) or ray."
    )
    max_model_len: int | None = Field(None, ge=1, description="--max-model-len (context length in tokens).")
    gpu_memory_utilization: float | None = Field(
        None, gt=0, le=1, description="--gpu-memory-utilization, fraction of GPU memory for the engine."
    )
    max_num_seqs: int | None = Field(None, ge=1, description="--max-num-seqs (sequences per batch).")
    max_num_batched_tokens: int | None = Field(None, ge=1, description="--max-num-batched-tokens (tokens per batch).")
    enable_prefix_caching: bool | None = Field(
        None,
        description="true: --enable-prefix-caching; false: --no-enable-prefix-caching (vLLM 0.6.5+, off by default "
        "before). Default: the engine's (on from vLLM 0.8.0).",
    )
    enable_chunked_prefill: bool | None = Field(
        None,
        description="true: --enable-chunked-prefill; false: --enable-chunked-prefill=false (vLLM 0.5.3..0.8.4) or "
        "--no-enable-chunked-prefill (0.8.5+), off by default before 0.5.3. Default: the engine's.",
    )
    quantization: Quantization | None = Field(
        None,
        description="--quantization method; checked against the values the pinned vLLM accepts. bitsandbytes adds "
        "--load-format bitsandbytes before vLLM 0.8.2. Default: read from the checkpoint.",
    )
    dtype: Literal["auto", "half", "float16", "bfloat16", "float", "float32"] | None = Field(
        None, description="--dtype of weights and activations."
    )
    kv_cache_dtype: KvCacheDtype | None = Field(
        None, description="--kv-cache-dtype; checked against the values the pinned vLLM accepts. Default auto (the model dtype)."
    )
    enforce_eager: bool = Field(False, description="--enforce-eager: always run eager PyTorch, without CUDA graphs.")
    served_model_name: str | None = Field(
        None, description="--served-model-name; default the InferenceService name ({{.Name}})."
    )
    trust_remote_code: bool = Field(False, description="--trust-remote-code (only for vetted models).")
    lora: Lora | None = Field(None, description="LoRA adapters: --enable-lora, --max-loras, --max-lora-rank, --lora-modules.")
    speculative: Speculative | None = Field(
        None,
        description="Speculative decoding: --speculative-model, --num-speculative-tokens and --ngram-prompt-lookup-* "
        "(plus --use-v2-block-manager before 0.6.3) up to vLLM 0.8.1; --speculative-config JSON from 0.8.2.",
    )
    limit_mm_per_prompt: MultimodalLimits | None = Field(
        None,
        description="--limit-mm-per-prompt (vLLM 0.5.5+): image=N,video=N up to 0.8.4, JSON from 0.8.5.",
    )
    extra_args: list[str] = Field(
        default_factory=list,
        description="Further engine arguments, passed verbatim after the typed ones; a flag the pinned version "
        "does not have (removed, or not yet added) is an error.",
    )


class TgiOptions(SpecModel):
    """Typed Text Generation Inference launcher options, compiled to the flags of the pinned TGI version."""

    num_shard: int | None = Field(None, ge=1, description="--num-shard: GPUs the model is sharded over; default all visible GPUs.")
    max_batch_size: int | None = Field(None, ge=1, description="--max-batch-size (TGI 1.4.1+).")
    max_input_tokens: int | None = Field(
        None,
        ge=1,
        description="Longest prompt in tokens: --max-input-length before TGI 2.0.0, --max-input-tokens from 2.0.0. "
        "Default 1024 before 2.0.0, then derived from the model.",
    )
    max_total_tokens: int | None = Field(
        None,
        ge=1,
        description="--max-total-tokens: prompt plus generated tokens per request; above maxInputTokens. "
        "Default 2048 before TGI 2.0.0, then derived from the model.",
    )
    max_batch_prefill_tokens: int | None = Field(
        None,
        ge=1,
        description="--max-batch-prefill-tokens: tokens of one prefill batch; at least maxInputTokens before TGI 2.4.0. "
        "Default 4096 before 2.0.0, then derived.",
    )
    max_concurrent_requests: int | None = Field(None, ge=1, description="--max-concurrent-requests (TGI default 128).")
    quantize: TgiQuantize | None = Field(
        None, description="--quantize method; checked against the values the pinned TGI accepts. Default: the checkpoint's."
    )
    dtype: Literal["float16", "bfloat16"] | None = Field(None, description="--dtype; not together with quantize.")
    trust_remote_code: bool = Field(False, description="--trust-remote-code (only for vetted models).")
    extra_args: list[str] = Field(
        default_factory=list,
        description="Further launcher arguments, passed verbatim after the typed ones; a flag the pinned version "
        "does not have (removed, or not yet added) is an error.",
    )
