"""GPU memory fit and KV-cache capacity of one vLLM or TGI replica, estimated offline (README "GPU fit and
KV-cache capacity").

Per GPU of one engine (tensor × pipeline parallel GPUs):

    usable     = memoryPerGpu × VISIBLE_SHARE × gpuMemoryUtilization        (TGI: × TGI_SHARE)
    weights    = (linear params × bytes per weight + embedding params × 2) / (TP × PP)  (+ encoder, draft / TP)
    overhead   = NON_TORCH + profiled activations + CUDA-graph pool (vLLM 0.20+) + LoRA slots + encoder cache
    KV budget  = usable − weights − overhead
    KV tokens  = whole 16-token blocks of (KV bytes per token per GPU) in the budget
    concurrency= KV tokens / maxModelLen   (what vLLM prints as "Maximum concurrency")

The constants are calibrated on published vLLM start-up logs (collected in the model-architecture reference notes)
(tests/test_gpu_fit.py states the tolerance reached); every rounding goes towards less KV cache.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

from modelfleet.catalog.engine_flags import release
from modelfleet.catalog.model_architectures import ARCHITECTURES, Architecture
from modelfleet.plan import CapacityPlan, GpuPlacement
from modelfleet.quantities import parse_quantity
from modelfleet.resolve.problems import Problems
from modelfleet.spec.architecture import ArchitectureFacts
from modelfleet.spec.engine import EngineOptions
from modelfleet.spec.environment import GpuFit
from modelfleet.spec.gpu_pool import GpuPool
from modelfleet.spec.model import Model
from modelfleet.spec.runtime import Runtime

GIB = 1024**3
BLOCK_TOKENS = 16
"""vLLM's KV block size on CUDA in every release read; capacity is a whole number of blocks."""
VISIBLE_SHARE = 0.98
"""A device reports less memory than its nominal size (ECC, driver reservations): 23.58 GiB of a 24 GiB
RTX 3090, 39.38 of 40, 79.15 of 80, 15.78 of 16. 0.98 is at or below every one of those."""
NON_TORCH_BYTES = int(0.4 * GIB)
"""CUDA context, NCCL and allocator memory outside PyTorch: 0.35 GiB measured at TP 1, 0.34–0.43 at TP 4."""
ACTIVATION_BYTES = 2
"""Activations are 16-bit; per profiled token a layer holds about 3 MLP-wide and 4 hidden-wide vectors
(gate/up output, activation, input, residual, attention in/out): 8% above the A1 measurement."""
CUDA_GRAPH_BYTES = 1 * GIB
"""vLLM 0.20+ subtracts an estimate of its CUDA-graph pool before sizing the cache (unless --enforce-eager).
No dense-model measurement is published; 1 GiB is an assumption (a 35B MoE model measured 6.24 GiB)."""
TGI_SHARE = 0.95
"""TGI sizes its cache from the memory free after warm-up (--cuda-memory-fraction 1.0); 5% is kept aside for
the CUDA graphs it captures afterwards. An assumption: the reference has no TGI start-up log."""
SUGGESTED_UTILIZATION = 0.95
"""The highest gpuMemoryUtilization a fix suggests: above it, CUDA graphs and sampling buffers have no room."""
V1_ENGINE = (0, 8, 0)           # VLLM_USE_V1 defaults to 1
CUDA_GRAPH_ESTIMATE = (0, 20, 0)
UTILIZATION_092 = (0, 20, 0)

WeightFormat = tuple[str, float]
"""(what a message calls it, bytes per weight of the linear layers)."""


def _grouped(bits: int) -> WeightFormat:
    """Integer weights with a 16-bit scale and a zero point per group of 128 (GPTQ, AWQ and their kernels)."""
    return f"{bits}-bit", bits / 8 + (16 + bits) / (8 * 128)


SIXTEEN_BIT: WeightFormat = ("16-bit", 2.0)
_EIGHT_BIT: WeightFormat = ("8-bit", 1.0)
_FIXED_FORMATS: dict[str, WeightFormat] = {
    **dict.fromkeys(("fp8", "fbgemm_fp8", "ptpc_fp8", "modelopt", "fp8_per_tensor", "fp8_per_block", "fp8_per_channel",
                     "modelopt_mxfp8", "mxfp8", "deepseek_v4_fp8", "experts_int8", "int8_per_channel_weight_only",
                     "tpu_int8", "eetq"), _EIGHT_BIT),
    **dict.fromkeys(("modelopt_fp4", "nvfp4", "nvfp4_per_token", "petit_nvfp4"), ("4-bit", 0.5 + 1 / 16)),  # 8-bit scale per 16
    **dict.fromkeys(("mxfp4", "gpt_oss_mxfp4"), ("4-bit", 0.5 + 1 / 32)),  # 8-bit scale per 32
    **dict.fromkeys(("bitsandbytes-nf4", "bitsandbytes-fp4"), ("4-bit", 0.5 + 4 / 64)),  # 32-bit absmax per 64
}
_GROUPED_METHODS = frozenset({
    "awq", "awq_marlin", "auto_awq", "cpu_awq", "gptq", "gptq_marlin", "gptq_marlin_24", "marlin", "gptq_bitblas",
    "auto_gptq", "cpu_gptq", "moe_wna16", "compressed-tensors", "auto-round", "rtn", "bitblas", "exl2", "bitsandbytes",
})  # fmt: skip
_KV_BYTES = {
    **dict.fromkeys(("bfloat16", "float16"), 2.0),
    **dict.fromkeys(("fp8", "fp8_e5m2", "fp8_e4m3", "fp8_inc", "fp8_ds_mla", "int8_per_token_head", "fp8_per_token_head"), 1.0),
    "turboquant_k8v4": 0.75,
    **dict.fromkeys(("turboquant_k3v4_nc", "octave_k3v4"), 0.4375),
    **dict.fromkeys(("turboquant_3bit_nc", "octave_k3v3", "octave_k3v3_compact"), 0.375),
    **dict.fromkeys(("turboquant_4bit_nc", "nvfp4", "int4_per_token_head", "nvfp4_4over6", "nvfp4_ds_mla", "ultraquant_4bit"), 0.5),
}
"""--kv-cache-dtype -> bytes per cached element (scales left out); auto is the activation dtype."""


def weight_format(method: str | None, bits: int | None, engine: str) -> WeightFormat | None:
    """How the weights of a checkpoint quantized with `method` are stored; None when the method's width is unknown."""
    if method is None or method == "none":
        return SIXTEEN_BIT
    if engine == "tgi" and method == "bitsandbytes":
        return _EIGHT_BIT  # TGI's plain bitsandbytes is LLM.int8
    if method in _FIXED_FORMATS:
        return _FIXED_FORMATS[method]
    if method in _GROUPED_METHODS or bits is not None:
        return _grouped(bits or 4)
    return None


def kv_element_bytes(kv_cache_dtype: str | None, activation_bytes: int) -> float:
    return float(activation_bytes) if kv_cache_dtype in (None, "auto") else _KV_BYTES.get(kv_cache_dtype, 1.0)


@dataclass(frozen=True)
class FitInputs:
    """Everything the estimate of one engine reads; fixes are the same inputs with one thing changed."""

    engine: str                      # vllm | tgi
    version: str
    architecture: Architecture
    weights: WeightFormat
    activation_bytes: int            # 2, or 4 for --dtype float32
    kv_bytes: float                  # per cached element
    tensor_parallel: int
    pipeline_parallel: int
    memory_per_gpu: int              # bytes, as the pool declares
    gpu_model: str
    utilization: float | None        # None: the engine's default
    sequence_length: int | None      # maxModelLen (TGI maxTotalTokens); None: the engine's default
    prefill_tokens: int | None       # maxNumBatchedTokens (TGI maxBatchPrefillTokens) when set
    max_input_tokens: int | None = None  # TGI only
    chunked_prefill: bool | None = None
    enforce_eager: bool = False
    lora: tuple[int, int] | None = None  # (max LoRAs, max rank)
    draft: Architecture | None = None


@dataclass(frozen=True)
class Estimate:
    usable: int                      # bytes per GPU the engine may use
    weights: int                     # bytes per GPU
    overhead: int                    # non-KV, non-weight bytes per GPU
    kv_budget: int                   # may be negative: the weights and overhead do not fit
    kv_bytes_per_token: float        # per GPU
    kv_tokens: int
    sequence_length: int
    utilization: float

    @property
    def concurrency(self) -> float:
        return self.kv_tokens / self.sequence_length

    @property
    def fits(self) -> bool:
        return self.kv_tokens >= self.sequence_length


@functools.lru_cache(maxsize=1024)
def _at_least(version: str, since: tuple[int, ...]) -> bool:
    """Cached: each model asks for a handful of releases of its engine version."""
    return release(version) >= release(".".join(map(str, since)))


def default_utilization(inputs: FitInputs) -> float:
    if inputs.engine == "tgi":
        return TGI_SHARE
    return 0.92 if _at_least(inputs.version, UTILIZATION_092) else 0.9


def _v1_batch_tokens(inputs: FitInputs, visible_gib: float) -> int:
    """vLLM V1's default max_num_batched_tokens (its OpenAI server), by release and GPU."""
    name = inputs.gpu_model.lower()
    at = release(inputs.version)
    if at < release("0.8.5"):
        return 8192 if "h100" in name or "h200" in name else 2048
    if at < release("0.9.0"):
        return 8192 if visible_gib >= 70 else 2048
    if at >= release("0.28.0") and visible_gib >= 160:
        return 16384
    return 8192 if visible_gib >= 70 and "a100" not in name else 2048


def _tgi_lengths(inputs: FitInputs) -> tuple[int, int]:
    """(max total tokens, prefill tokens) TGI runs with: the user's, else the launcher's defaults."""
    context = inputs.architecture.max_context
    if not _at_least(inputs.version, (2, 0, 0)):
        total, max_input = 2048, 1024
    else:
        total = min(context, 4096)
        max_input = min(context - 1, 4095)
    total = inputs.sequence_length or total
    max_input = inputs.max_input_tokens or min(max_input, total - 1)
    prefill = inputs.prefill_tokens or (4096 if not _at_least(inputs.version, (2, 0, 0)) else max_input + 50)
    return total, prefill


def _profiled_tokens(inputs: FitInputs, length: int, visible_gib: float) -> int:
    """Tokens of the batch vLLM profiles activations with (max_num_batched_tokens)."""
    if inputs.prefill_tokens is not None:
        return inputs.prefill_tokens
    if _at_least(inputs.version, V1_ENGINE):
        chunked = inputs.chunked_prefill is not False or not _at_least(inputs.version, (0, 11, 1))
        default = _v1_batch_tokens(inputs, visible_gib)
    else:
        chunked = inputs.chunked_prefill if inputs.chunked_prefill is not None else (_at_least(inputs.version, (0, 5, 3)) and length > 32768)
        default = 2048  # V0's chunked default is not in the reference; the larger of its known values
    return default if chunked else max(length, default)


def kv_bytes_per_token(architecture: Architecture, kv_bytes: float, tensor_parallel: int, pipeline_parallel: int = 1) -> float:
    """KV cache bytes one token takes on one GPU: KV heads split by TP as far as they go, layers split by PP."""
    layers = math.ceil(architecture.layers / pipeline_parallel)
    if architecture.mla_latent is not None:
        return layers * architecture.mla_latent * kv_bytes
    return 2 * layers * max(1, architecture.kv_heads // tensor_parallel) * architecture.head_dim * kv_bytes


def weight_bytes(architecture: Architecture, weights: WeightFormat, activation_bytes: int) -> float:
    """Bytes of the whole model's weights; quantized checkpoints keep embeddings and LM head in 16 bits."""
    if weights == SIXTEEN_BIT:
        return architecture.parameters * float(activation_bytes)
    embeddings = architecture.embedding_parameters
    return (architecture.parameters - embeddings) * weights[1] + embeddings * float(ACTIVATION_BYTES)


def _lora_bytes(architecture: Architecture, lora: tuple[int, int], tensor_parallel: int) -> float:
    """The adapter slots vLLM preallocates: max LoRAs × rank × (in + out) of the 7 projections of every layer."""
    hidden, heads, kv = architecture.hidden_size, architecture.attention_heads, architecture.kv_heads
    head_dim, mlp = architecture.head_dim, architecture.intermediate_size
    widths = 2 * (hidden + heads * head_dim) + 2 * (hidden + kv * head_dim) + 3 * (hidden + mlp)
    slots, rank = lora
    return slots * rank * widths * architecture.layers * ACTIVATION_BYTES / tensor_parallel


def estimate(inputs: FitInputs) -> Estimate:
    arch = inputs.architecture
    tp, pp = inputs.tensor_parallel, inputs.pipeline_parallel
    utilization = inputs.utilization if inputs.utilization is not None else default_utilization(inputs)
    visible = inputs.memory_per_gpu * VISIBLE_SHARE
    usable = visible * utilization
    weights = weight_bytes(arch, inputs.weights, inputs.activation_bytes) / (tp * pp)
    weights += (arch.encoder_parameters or 0) * inputs.activation_bytes / tp
    per_token = kv_bytes_per_token(arch, inputs.kv_bytes, tp, pp)
    if inputs.draft is not None:
        weights += inputs.draft.parameters * inputs.activation_bytes / tp
        per_token += kv_bytes_per_token(inputs.draft, inputs.kv_bytes, tp)
    if inputs.engine == "tgi":
        length, profiled = _tgi_lengths(inputs)
    else:
        length = inputs.sequence_length or arch.max_context
        profiled = _profiled_tokens(inputs, length, visible / GIB)
    overhead = NON_TORCH_BYTES + profiled * (3 * arch.intermediate_size / tp + 4 * arch.hidden_size) * ACTIVATION_BYTES
    if inputs.engine == "vllm" and _at_least(inputs.version, CUDA_GRAPH_ESTIMATE) and not inputs.enforce_eager:
        overhead += CUDA_GRAPH_BYTES
    if inputs.lora is not None:
        overhead += _lora_bytes(arch, inputs.lora, tp)
    if arch.encoder_parameters:
        overhead += profiled * arch.hidden_size * ACTIVATION_BYTES  # the encoder cache holds one batch of embeddings
    budget = usable - weights - overhead
    blocks = max(0, math.floor(budget / (per_token * BLOCK_TOKENS)))
    kv_tokens = blocks * BLOCK_TOKENS
    if inputs.engine == "tgi" and inputs.sequence_length is None and _at_least(inputs.version, (2, 4, 1)):
        length = max(1, min(arch.max_context, kv_tokens))  # TGI 2.4.1+ shortens its default to what fits
    return Estimate(int(usable), math.ceil(weights), math.ceil(overhead), math.floor(budget), per_token, kv_tokens, length, utilization)


# --- fixes ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alternatives:
    """What a fix may change, and what its text names: the spec fields of this engine and backend."""

    pools: tuple[tuple[str, str, int, int | None, str], ...]  # (name, memoryPerGpu as written, bytes, GPUs per node, gpu model)
    parallel_field: str | None       # engine.tensorParallelSize / tgi.numShard; None: TP is fixed by the layout
    length_field: str                # engine.maxModelLen / tgi.maxTotalTokens
    quantizable: bool                # the weights are 16-bit
    gpus_per_node: int | None


def gib(value: float) -> str:
    return f"{value / GIB:.2f} GiB"


def figure(result: Estimate) -> str:
    """The outcome of a fix: KV tokens and concurrency at the sequence length."""
    return f"{result.kv_tokens:,} KV tokens, {result.concurrency:.2f}x at {result.sequence_length:,}"


def _longest_length(inputs: FitInputs, target: float) -> int | None:
    """The largest multiple of 256 tokens that still gives `target` concurrency (activations shrink with it)."""
    low, high = 0, (inputs.sequence_length or inputs.architecture.max_context) // 256
    while low < high:
        middle = (low + high + 1) // 2
        if estimate(replace(inputs, sequence_length=middle * 256)).concurrency >= target:
            low = middle
        else:
            high = middle - 1
    return low * 256 or None


def fixes(inputs: FitInputs, current: Estimate, target: float, options: Alternatives) -> list[str]:
    """Single changes that reach `target` full-length sequences, each with its resulting figure."""
    found: list[str] = []

    def reaches(candidate: FitInputs) -> Estimate | None:
        result = estimate(candidate)
        return result if result.kv_tokens >= result.sequence_length and result.concurrency >= target else None

    gpus = inputs.tensor_parallel * inputs.pipeline_parallel
    for name, written, size, per_node, model in sorted(options.pools, key=lambda pool: (pool[2], pool[0])):
        fitting = size > inputs.memory_per_gpu and (per_node is None or per_node >= gpus) and reaches(replace(inputs, memory_per_gpu=size, gpu_model=model))
        if fitting:
            found.append(f"use gpu.pool {name} ({written} per GPU): {figure(fitting)}")
            break
    if options.parallel_field is not None:
        heads = inputs.architecture.attention_heads
        for tp in (2, 4, 8, 16):
            if tp <= inputs.tensor_parallel or heads % tp or (options.gpus_per_node is not None and tp * inputs.pipeline_parallel > options.gpus_per_node):
                continue
            fitting = reaches(replace(inputs, tensor_parallel=tp))
            if fitting:
                found.append(f"set {options.parallel_field}: {tp} with gpu.count: {tp * inputs.pipeline_parallel}: {figure(fitting)}")
                break
    if options.quantizable:
        for label, weights in (("an 8-bit (FP8 or INT8)", _EIGHT_BIT), ("a 4-bit (AWQ or GPTQ)", _grouped(4))):
            fitting = reaches(replace(inputs, weights=weights))
            if fitting:
                found.append(f"serve {label} checkpoint ({gib(fitting.weights)} of weights per GPU): {figure(fitting)}")
                break
    if inputs.engine == "vllm" and inputs.kv_bytes >= 2 and current.kv_budget > 0:
        fitting = reaches(replace(inputs, kv_bytes=1.0))
        if fitting:
            found.append(f"set engine.kvCacheDtype: fp8: {figure(fitting)}")
    if current.kv_budget > 0 and not (inputs.engine == "tgi" and inputs.sequence_length is None and _at_least(inputs.version, (2, 4, 1))):
        longest = _longest_length(inputs, target)
        if longest is not None and longest < current.sequence_length:
            shorter = replace(inputs, sequence_length=longest, max_input_tokens=min(inputs.max_input_tokens or longest, longest - 1))
            also = " (and tgi.maxInputTokens below it)" if inputs.max_input_tokens is not None and inputs.max_input_tokens >= longest else ""
            found.append(f"lower {options.length_field}{also} to {longest:,}: {figure(estimate(shorter))}")
    if inputs.engine == "vllm" and current.utilization < SUGGESTED_UTILIZATION:
        fitting = reaches(replace(inputs, utilization=SUGGESTED_UTILIZATION))
        if fitting:
            found.append(f"raise engine.gpuMemoryUtilization to {SUGGESTED_UTILIZATION}: {figure(fitting)}")
    return found


# --- a model of the spec ----------------------------------------------------------------------------------


def architecture_facts(ref: str | ArchitectureFacts) -> Architecture:
    """A catalog entry, or inline facts with config.json's defaults applied."""
    if isinstance(ref, str):
        return ARCHITECTURES[ref]
    heads = ref.attention_heads
    return Architecture(
        parameters=ref.parameters, layers=ref.layers, hidden_size=ref.hidden_size, attention_heads=heads,
        kv_heads=ref.kv_heads or heads, head_dim=ref.head_dim or ref.hidden_size // heads,
        intermediate_size=ref.intermediate_size, vocab_size=ref.vocab_size, max_context=ref.max_context,
        dtype=ref.dtype, tied_embeddings=ref.tied_embeddings,
        mla_latent=ref.mla.kv_lora_rank + ref.mla.qk_rope_head_dim if ref.mla is not None else None,
        encoder_parameters=ref.encoder_parameters,
    )  # fmt: skip


def _parallelism(model: Model, runtime: Runtime, gpu: GpuPlacement, multi_node: bool) -> tuple[int, int]:
    """(tensor, pipeline) parallel sizes of one engine; TGI shards over every GPU it sees unless numShard says."""
    if multi_node:  # KServe runs TP = GPUs per pod and PP = pods per replica
        return gpu.per_pod, gpu.pods_per_replica
    if runtime.tgi is not None:
        return (model.tgi.num_shard if model.tgi is not None and model.tgi.num_shard else gpu.count), 1
    engine = model.engine or EngineOptions()
    return engine.tensor_parallel_size or 1, engine.pipeline_parallel_size or 1


def _inputs(model: Model, runtime: Runtime, pool: GpuPool, gpu: GpuPlacement, multi_node: bool,
            architecture: Architecture, weights: WeightFormat) -> FitInputs:
    tp, pp = _parallelism(model, runtime, gpu, multi_node)
    memory = int(parse_quantity(pool.memory_per_gpu))
    if runtime.tgi is not None:
        options = model.tgi
        activation = 2
        return FitInputs(
            "tgi", runtime.tgi.version, architecture, weights, activation, float(activation), tp, pp, memory,
            pool.gpu_model or "", None, options.max_total_tokens if options else None,
            options.max_batch_prefill_tokens if options else None, options.max_input_tokens if options else None,
        )  # fmt: skip
    engine = model.engine or EngineOptions()
    activation = 4 if engine.dtype in ("float", "float32") else 2
    lora = (engine.lora.max_loras or 1, engine.lora.max_lora_rank or 16) if engine.lora is not None else None
    draft = engine.speculative.architecture if engine.speculative is not None else None
    return FitInputs(
        "vllm", runtime.vllm.version, architecture, weights, activation, kv_element_bytes(engine.kv_cache_dtype, activation),
        tp, pp, memory, pool.gpu_model or "", engine.gpu_memory_utilization, engine.max_model_len,
        engine.max_num_batched_tokens, None, engine.enable_chunked_prefill, engine.enforce_eager, lora,
        architecture_facts(draft) if draft is not None else None,
    )  # fmt: skip


def _quantization(model: Model, runtime: Runtime) -> tuple[str | None, tuple]:
    """The method the weights are stored with, and the field that says so."""
    if runtime.tgi is not None and model.tgi is not None and model.tgi.quantize is not None:
        return model.tgi.quantize, ("tgi", "quantize")
    if runtime.vllm is not None and model.engine is not None and model.engine.quantization is not None:
        return model.engine.quantization, ("engine", "quantization")
    return model.checkpoint_quantization, ("checkpointQuantization",)


def _alternatives(model: Model, runtime: Runtime, pool: GpuPool, pools: dict, multi_node: bool, weights: WeightFormat) -> Alternatives:
    others = tuple(
        (other.name, other.memory_per_gpu, int(parse_quantity(other.memory_per_gpu)), other.gpus_per_node, other.gpu_model or "")
        for _, other in pools.values() if other.memory_per_gpu is not None and other.name != pool.name
    )  # fmt: skip
    tgi = runtime.tgi is not None
    single_pod = not multi_node and model.backend != "ray"
    parallel = ("tgi.numShard" if tgi else "engine.tensorParallelSize") if single_pod else None
    return Alternatives(others, parallel, "tgi.maxTotalTokens" if tgi else "engine.maxModelLen", weights == SIXTEEN_BIT, pool.gpus_per_node)


def _either(found: list[str], length_field: str) -> str:
    if not found:
        return f"no single change is enough: combine a bigger pool, more GPUs, a quantized checkpoint and a shorter {length_field}"
    return "; or ".join(found)


def model_capacity(model: Model, runtime: Runtime, gpu: GpuPlacement | None, pools: dict, gpu_fit: GpuFit,
                   multi_node: bool, at: tuple, problems: Problems) -> CapacityPlan | None:
    """Check that a replica of a vLLM or TGI model starts (weights and one full-length sequence fit) and how
    many full-length sequences its KV cache holds; errors and warnings go to `problems`."""
    engine = "vLLM" if runtime.vllm is not None else "TGI" if runtime.tgi is not None else None
    if engine is None or gpu is None:
        return None
    if model.architecture is None:
        message = (f"{engine} model without architecture: its GPU memory fit and KV-cache capacity are not checked; set "
                   "architecture to a catalog name (stacks/REFERENCE.md lists them, e.g. llama-3.1-8b) or to the facts of its config.json "
                   "(parameters, layers, hiddenSize, attentionHeads, kvHeads, intermediateSize, vocabSize, maxContext)")
        if gpu_fit.missing_architecture == "error":
            problems.add(at + ("architecture",), message.replace(": its", ", which environment.gpuFit.missingArchitecture: error forbids: its", 1))
        else:
            problems.warn(at + ("architecture",), message)
        return None
    pool: GpuPool = pools[model.gpu.pool][1]
    if pool.memory_per_gpu is None:
        problems.warn(at + ("gpu", "pool"), f"pool '{pool.name}' declares no memoryPerGpu, so the GPU memory fit of this model is not checked; set memoryPerGpu on gpuPools '{pool.name}'")
        return None
    method, method_at = _quantization(model, runtime)
    weights = weight_format(method, model.quantization_bits, "tgi" if runtime.tgi is not None else "vllm")
    if weights is None:
        problems.warn(at + method_at, f"the weight size of {method} checkpoints is unknown, so the GPU memory fit of this model is not checked; set quantizationBits (4 or 8)")
        return None
    architecture = architecture_facts(model.architecture)
    inputs = _inputs(model, runtime, pool, gpu, multi_node, architecture, weights)
    result = estimate(inputs)
    floor = gpu_fit.min_concurrency
    if result.kv_budget <= 0 or not result.fits or result.concurrency < floor:  # only then are fixes looked for
        options = _alternatives(model, runtime, pool, pools, multi_node, weights)
        length_at = at + tuple(options.length_field.split("."))
        name = model.architecture if isinstance(model.architecture, str) else "the model's"
        if result.kv_budget <= 0:
            gpus = inputs.tensor_parallel * inputs.pipeline_parallel
            visible = gib(inputs.memory_per_gpu * VISIBLE_SHARE)
            share = f"gpuMemoryUtilization {result.utilization:g}" if engine == "vLLM" else f"{result.utilization:.0%}"
            problems.add(at + ("gpu",), (
                f"{name} {weights[0]} weights take {gib(result.weights)} on each of its {gpus} GPU(s), plus {gib(result.overhead)} "
                f"of activations and buffers, but {engine} may use {gib(result.usable)} of a {pool.memory_per_gpu} GPU of pool "
                f"'{pool.name}' ({share} of the {visible} it reports); " + _either(fixes(inputs, result, 1, options), options.length_field)))
            return None
        unset = " (unset: the model's full context)" if inputs.sequence_length is None and engine == "vLLM" else ""
        if not result.fits:
            problems.add(length_at, (
                f"{result.sequence_length:,}-token sequences{unset} do not fit: the KV cache holds {result.kv_tokens:,} tokens "
                f"({gib(result.kv_budget)} per GPU left after {gib(result.weights)} of weights and {gib(result.overhead)} of "
                f"activations and buffers, {result.kv_bytes_per_token / 1024:g} KiB per token); "
                + _either(fixes(inputs, result, 1, options), options.length_field)))
            return None
        problems.warn(length_at, (
            f"only {result.concurrency:.2f} sequences of {result.sequence_length:,} tokens{unset} fit in the KV cache "
            f"({result.kv_tokens:,} tokens), below environment.gpuFit.minConcurrency {floor:g}; "
            + _either(fixes(inputs, result, floor, options), options.length_field)))
    return CapacityPlan(
        engine=engine, architecture=model.architecture if isinstance(model.architecture, str) else "inline",
        pool=pool.name, memory_per_gpu=pool.memory_per_gpu, gpus_per_engine=inputs.tensor_parallel * inputs.pipeline_parallel,
        weights_per_gpu=result.weights, overhead_per_gpu=result.overhead, kv_budget_per_gpu=result.kv_budget,
        kv_tokens=result.kv_tokens, sequence_length=result.sequence_length, max_concurrency=round(result.concurrency, 2),
    )  # fmt: skip
