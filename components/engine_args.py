"""Compile typed vLLM engine options into the command-line arguments the pinned vLLM version accepts."""

from __future__ import annotations

from .spec.base import version_tuple
from .spec.engine import EngineOptions


def vllm_args(options: EngineOptions, engine_version: str) -> list[str]:
    """Arguments in a fixed order: typed options first, then extraArgs verbatim."""
    version = version_tuple(engine_version)
    args: list[str] = []
    if options.tensor_parallel_size is not None:
        args.append(f"--tensor-parallel-size={options.tensor_parallel_size}")
    if options.max_model_len is not None:
        args.append(f"--max-model-len={options.max_model_len}")
    if options.gpu_memory_utilization is not None:
        args.append(f"--gpu-memory-utilization={options.gpu_memory_utilization:g}")
    if options.max_num_seqs is not None:
        args.append(f"--max-num-seqs={options.max_num_seqs}")
    if options.enable_prefix_caching is True:
        args.append("--enable-prefix-caching")
    elif options.enable_prefix_caching is False and version >= (0, 6, 5):
        args.append("--no-enable-prefix-caching")  # older versions have it off by default and no negative flag
    if options.enable_chunked_prefill is True:
        args.append("--enable-chunked-prefill")
    elif options.enable_chunked_prefill is False and version >= (0, 8, 5):
        args.append("--no-enable-chunked-prefill")
    elif options.enable_chunked_prefill is False and version >= (0, 5, 3):
        args.append("--enable-chunked-prefill=false")
    if options.quantization is not None:
        args.append(f"--quantization={options.quantization}")
    if options.dtype is not None:
        args.append(f"--dtype={options.dtype}")
    if options.served_model_name is not None:
        args.append(f"--served-model-name={options.served_model_name}")
    if options.trust_remote_code:
        args.append("--trust-remote-code")
    return args + list(options.extra_args)
