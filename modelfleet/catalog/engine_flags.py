"""What each vLLM and TGI release accepts on its command line, as data the option compiler switches on.

Every fact here comes from the release sources (gathered in the project's engine-flags reference notes) of
vLLM 0.4.1 .. 0.33.0 and TGI 1.0 .. 3.3.7). A `Span` says which releases have a flag or a value:
`introduced` None means "present in the oldest release read", `removed` None "still in the newest".
Flags and values whose history the reference does not give are left out rather than guessed. Two flag spans
follow the release sources read for engine_cli_flags where the reference differs: --engine-use-ray is already
gone in 0.6.1.post1, and --guided-decoding-backend is still accepted (deprecated) in 0.11.x.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_RELEASE = re.compile(r"^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.(?:post)?([0-9]+))?")


@functools.lru_cache(maxsize=1024)
def release(version: str) -> tuple[int, ...]:
    """A comparable release: '0.6.3.post1' -> (0, 6, 3, 1), '0.10.1.1' -> (0, 10, 1, 1), 'v0.8' -> (0, 8, 0, 0);
    pre-releases count as the release. Cached: every model's options are checked against a handful of versions."""
    found = _RELEASE.match(version)
    return tuple(int(part or 0) for part in found.groups()) if found else (0, 0, 0, 0)


@dataclass(frozen=True)
class Span:
    """The releases from `introduced` up to, not including, `removed`; `instead` is the fix once removed."""

    introduced: str | None = None
    removed: str | None = None
    instead: str | None = None

    def covers(self, version: str) -> bool:
        at = release(version)
        return (self.introduced is None or at >= release(self.introduced)) and (
            self.removed is None or at < release(self.removed)
        )


ALWAYS = Span()
_SPECULATIVE_CONFIG = "use the typed speculative option (compiled to --speculative-config from vLLM 0.8.2)"

VLLM_FLAGS: dict[str, Span] = {
    # flags the compiler writes
    "--tensor-parallel-size": ALWAYS,
    "--pipeline-parallel-size": ALWAYS,
    "--data-parallel-size": Span("0.8.3"),
    "--distributed-executor-backend": Span("0.4.3"),
    "--max-model-len": ALWAYS,
    "--gpu-memory-utilization": ALWAYS,
    "--max-num-seqs": ALWAYS,
    "--max-num-batched-tokens": ALWAYS,
    "--enable-prefix-caching": ALWAYS,
    "--no-enable-prefix-caching": Span("0.6.5"),
    "--enable-chunked-prefill": ALWAYS,
    "--no-enable-chunked-prefill": Span("0.8.5"),
    "--quantization": ALWAYS,
    "--load-format": ALWAYS,
    "--dtype": ALWAYS,
    "--kv-cache-dtype": ALWAYS,
    "--enforce-eager": ALWAYS,
    "--no-enforce-eager": Span("0.9.0"),
    "--served-model-name": ALWAYS,
    "--trust-remote-code": ALWAYS,
    "--no-trust-remote-code": Span("0.9.0"),
    "--enable-lora": ALWAYS,
    "--no-enable-lora": Span("0.8.5"),
    "--max-loras": ALWAYS,
    "--max-lora-rank": ALWAYS,
    "--lora-modules": ALWAYS,
    "--speculative-model": Span(removed="0.8.3", instead=_SPECULATIVE_CONFIG),
    "--num-speculative-tokens": Span(removed="0.8.3", instead=_SPECULATIVE_CONFIG),
    "--ngram-prompt-lookup-max": Span("0.4.2", "0.8.3", _SPECULATIVE_CONFIG),
    "--ngram-prompt-lookup-min": Span("0.4.2", "0.8.3", _SPECULATIVE_CONFIG),
    "--speculative-config": Span("0.8.2"),
    "--use-v2-block-manager": Span(removed="0.10.0", instead="remove it (the v2 block manager is the default from vLLM 0.6.3)"),
    "--limit-mm-per-prompt": Span("0.5.5"),
    # flags users pass in extraArgs whose history is known
    "-dp": Span("0.8.3"),
    "--data-parallel-size-local": Span("0.9.0"),
    "-sc": Span("0.19.0"),
    "--config": Span("0.6.0"),
    "--cpu-offload-gb": Span("0.5.3"),
    "--task": Span("0.6.4", "0.13.0", "use --runner / --convert (vLLM 0.10.1 or later)"),
    "--runner": Span("0.10.1"),
    "--convert": Span("0.10.1"),
    "--max-seq-len-to-capture": Span("0.4.3", "0.11.0", "remove it"),
    "--kv-cache-memory-bytes": Span("0.10.2"),
    "--swap-space": Span(removed="0.18.0", instead="remove it (the V1 engine does not swap)"),
    "--disable-log-requests": Span(removed="0.17.0", instead="remove it (request logging is off by default from vLLM 0.10.1)"),
    "--enable-log-requests": Span("0.10.1"),
    "--no-enable-log-requests": Span("0.10.1"),
    "--guided-decoding-backend": Span(removed="0.12.0", instead="use --structured-outputs-config '{\"backend\": ...}'"),
    "--tool-call-parser": Span("0.6.0"),
    "--enable-auto-tool-choice": Span("0.6.0"),
    "--reasoning-parser": Span("0.7.1"),
    "--generation-config": Span("0.6.6"),
    "--async-scheduling": Span("0.10.0"),
    "--api-server-count": Span("0.9.1"),
    "--performance-mode": Span("0.17.0"),
    "--worker-use-ray": Span(removed="0.7.0", instead="use distributedExecutorBackend: ray"),
    "--engine-use-ray": Span(removed="0.6.1.post1", instead="remove it"),
}

VLLM_FRONTEND_FLAGS = frozenset({"--lora-modules"})
"""Flags of the OpenAI server rather than the engine: they have no engine keyword argument."""

VLLM_FALSE_AS_VALUE = {"--enable-chunked-prefill": Span("0.5.3", "0.8.5")}
"""Boolean flags that take an optional value (`--flag=false`) in these releases, before a `--no-X` form exists."""

VLLM_KEY_VALUE_DICTS = {"--limit-mm-per-prompt": Span(removed="0.8.5")}
"""Dict flags written `key=value,key=value` in these releases; JSON from then on (key=value gone in 0.10.0)."""

VLLM_DASHED_NAMES_ONLY = Span(removed="0.5.1")
"""Releases that reject `--max_model_len`: underscores and dashes are interchangeable from 0.5.1."""

VLLM_DOTTED_KEYS = Span("0.9.0")
"""Releases that take one key of a JSON flag as its own argument (`--speculative-config.method ngram`)."""

VLLM_SPECULATION_NEEDS_V2_BLOCK_MANAGER = Span(removed="0.6.3")
"""Releases where speculative decoding needs --use-v2-block-manager (it is the default from 0.6.3)."""

VLLM_BITSANDBYTES_NEEDS_LOAD_FORMAT = Span(removed="0.8.2")
"""Releases where `--quantization bitsandbytes` also needs `--load-format bitsandbytes` (set automatically later)."""

VLLM_LORA_RANKS: tuple[tuple[Span, frozenset[int]], ...] = (
    (Span("0.6.3", "0.11.1"), frozenset({8, 16, 32, 64, 128, 256})),
    (Span("0.11.1"), frozenset({1, 8, 16, 32, 64, 128, 256, 320, 512})),
)
"""The --max-lora-rank values vLLM checks; the set before 0.6.3 is not in the reference."""

_REMOVED_QUANTIZATION = "choose another method or pin an older vLLM"

VLLM_QUANTIZATION: dict[str, Span] = {
    "aqlm": Span(removed="0.10.1", instead=_REMOVED_QUANTIZATION),
    "awq": ALWAYS,
    "fp8": ALWAYS,
    "gptq": ALWAYS,
    "squeezellm": Span(removed="0.6.1", instead=_REMOVED_QUANTIZATION),
    "marlin": Span(removed="0.10.2", instead="use gptq_marlin or awq_marlin"),
    "gptq_marlin": Span("0.4.2"),
    "deepspeedfp": Span("0.4.3", "0.16.0", _REMOVED_QUANTIZATION),
    "gptq_marlin_24": Span("0.4.3", "0.16.0", _REMOVED_QUANTIZATION),
    "sparseml": Span("0.4.3", "0.5.0", "use compressed-tensors"),
    "compressed-tensors": Span("0.5.0"),
    "bitsandbytes": Span("0.5.0", "0.28.0", "install the vllm-bnb-plugin in the engine image and pass --quantization=bitsandbytes in extraArgs"),
    "fbgemm_fp8": Span("0.5.3"),
    "awq_marlin": Span("0.5.3"),
    "qqq": Span("0.5.4", "0.10.2", _REMOVED_QUANTIZATION),
    "tpu_int8": Span("0.5.5", "0.14.0", _REMOVED_QUANTIZATION),
    "gguf": Span("0.5.5", "0.24.0", "install the out-of-tree GGUF plugin in the engine image and pass --quantization=gguf in extraArgs"),
    "experts_int8": Span("0.5.5"),
    "neuron_quant": Span("0.6.0", "0.10.2", _REMOVED_QUANTIZATION),
    "modelopt": Span("0.6.1"),
    "ipex": Span("0.6.3", "0.16.0", _REMOVED_QUANTIZATION),
    "hqq": Span("0.6.5", "0.16.0", _REMOVED_QUANTIZATION),
    "quark": Span("0.7.0"),
    "moe_wna16": Span("0.7.1"),
    "ptpc_fp8": Span("0.7.3", "0.19.0", _REMOVED_QUANTIZATION),
    "nvfp4": Span("0.8.0", "0.9.0", "use modelopt_fp4 (its new name)"),
    "torchao": Span("0.8.4"),
    "bitblas": Span("0.8.5", "0.16.0", _REMOVED_QUANTIZATION),
    "gptq_bitblas": Span("0.8.5", "0.16.0", _REMOVED_QUANTIZATION),
    "modelopt_fp4": Span("0.9.0"),
    "auto-round": Span("0.9.0", "0.16.0", _REMOVED_QUANTIZATION),
    "rtn": Span("0.9.2", "0.16.0", _REMOVED_QUANTIZATION),
    "inc": Span("0.10.0"),
    "mxfp4": Span("0.10.1"),
    "petit_nvfp4": Span("0.10.2", "0.20.0", _REMOVED_QUANTIZATION),
    "fp_quant": Span("0.11.1"),
    "cpu_gptq": Span("0.12.0", "0.14.0", _REMOVED_QUANTIZATION),
    "cpu_awq": Span("0.12.0", "0.23.0", _REMOVED_QUANTIZATION),
    "modelopt_mxfp8": Span("0.16.0"),
    "modelopt_mixed": Span("0.17.0"),
    "mxfp8": Span("0.19.0"),
    "humming": Span("0.20.0"),
    "gpt_oss_mxfp4": Span("0.20.0"),
    "deepseek_v4_fp8": Span("0.20.0"),
    "online": Span("0.20.0"),
    "fp8_per_tensor": Span("0.20.0"),
    "fp8_per_block": Span("0.20.0"),
    "int8_per_channel_weight_only": Span("0.20.0"),
    "auto_gptq": Span("0.22.0"),
    "auto_awq": Span("0.24.0"),
    "fp8_per_channel": Span("0.24.0"),
    "nvfp4_per_token": Span("0.26.0"),
}
"""--quantization values of vLLM core, by release."""

VLLM_KV_CACHE_DTYPES: dict[str, Span] = {
    "auto": ALWAYS,
    "fp8": ALWAYS,
    "fp8_e5m2": Span("0.4.3"),
    "fp8_e4m3": Span("0.4.3"),
    "fp8_inc": Span("0.10.0"),
    "bfloat16": Span("0.11.0"),
    "fp8_ds_mla": Span("0.11.1"),
    "float16": Span("0.18.0"),
    "turboquant_k8v4": Span("0.20.0"),
    "turboquant_4bit_nc": Span("0.20.0"),
    "turboquant_k3v4_nc": Span("0.20.0"),
    "turboquant_3bit_nc": Span("0.20.0"),
    "int8_per_token_head": Span("0.20.0"),
    "fp8_per_token_head": Span("0.20.0"),
    "nvfp4": Span("0.20.0"),
    "int4_per_token_head": Span("0.25.0"),
    "nvfp4_4over6": Span("0.28.0"),
    "nvfp4_ds_mla": Span("0.30.0"),
    "ultraquant_4bit": Span("0.32.0"),
    "octave_k3v4": Span("0.33.0"),
    "octave_k3v3": Span("0.33.0"),
    "octave_k3v3_compact": Span("0.33.0"),
}
"""--kv-cache-dtype values, by release."""

TGI_FLAGS: dict[str, Span] = {
    # flags the compiler writes
    "--num-shard": ALWAYS,
    "--max-batch-size": Span("1.4.1"),
    "--max-input-length": ALWAYS,
    "--max-input-tokens": Span("2.0.0"),
    "--max-total-tokens": ALWAYS,
    "--max-batch-prefill-tokens": ALWAYS,
    "--max-concurrent-requests": ALWAYS,
    "--quantize": ALWAYS,
    "--dtype": ALWAYS,
    "--trust-remote-code": ALWAYS,
    # flags users pass in extraArgs whose history is known
    "--rope-scaling": Span("1.0.1"),
    "--rope-factor": Span("1.0.1"),
    "--max-top-n-tokens": Span("1.0.3"),
    "--speculate": Span("1.3.0"),
    "--tokenizer-config-path": Span("1.4.0"),
    "--enable-cuda-graphs": Span("1.4.1", "2.0.0", "use --cuda-graphs (a list of batch sizes, 0 disables)"),
    "--disable-grammar-support": Span("1.4.1"),
    "--cuda-graphs": Span("2.0.0"),
    "--max-client-batch-size": Span("2.0.1"),
    "--lora-adapters": Span("2.1.0"),
    "--otlp-service-name": Span("2.1.0"),
    "--disable-usage-stats": Span("2.2.0", "2.3.0", "use --usage-stats=off"),
    "--disable-crash-reports": Span("2.2.0", "2.3.0", "use --usage-stats=no-stack"),
    "--usage-stats": Span("2.3.0"),
    "--api-key": Span("2.3.0"),
    "--kv-cache-dtype": Span("2.4.0"),
    "--payload-limit": Span("2.4.1"),
    "--enable-prefill-logprobs": Span("3.0.0"),
    "--graceful-termination-timeout": Span("3.2.2"),
    "--prometheus-port": Span("3.3.0"),
}

TGI_QUANTIZE: dict[str, Span] = {
    "bitsandbytes": ALWAYS,
    "gptq": ALWAYS,
    "bitsandbytes-nf4": Span("1.0.1"),
    "bitsandbytes-fp4": Span("1.0.1"),
    "awq": Span("1.1.0"),
    "eetq": Span("1.1.0"),
    "fp8": Span("2.0.0"),
    "exl2": Span("2.1.0"),
    "marlin": Span("2.1.0"),
    "compressed-tensors": Span("2.4.1"),
}
"""--quantize values, by release (exl2 cannot be sharded)."""

TGI_DTYPE_WITH_QUANTIZE = frozenset({"bitsandbytes", "bitsandbytes-nf4", "bitsandbytes-fp4"})
"""--quantize values not reported together with --dtype: the reference says the two do not combine, yet some
releases' servers accept these; so the compiler stays silent rather than risk a false error."""

TGI_FIXED_TOKEN_DEFAULTS = Span(removed="2.0.0")
"""Releases with fixed token-limit defaults (TGI_TOKEN_DEFAULTS); from 2.0.0 they are derived from the model."""

TGI_TOKEN_DEFAULTS = {"maxInputTokens": 1024, "maxTotalTokens": 2048, "maxBatchPrefillTokens": 4096}

TGI_PREFILL_MUST_HOLD_INPUT = Span(removed="2.4.0")
"""Releases whose launcher refuses max batch prefill tokens below max input tokens (chunked prefill lifts it)."""
