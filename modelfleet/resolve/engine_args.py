"""Compile typed engine options into what the pinned vLLM or TGI version accepts.

Options first become settings (the option they come from, the flag, the value), chosen for the version;
the same settings are rendered as command-line arguments or engine kwargs and checked against the flag
facts in engine_flags, so what is compiled and what is checked cannot drift apart.
"""

from __future__ import annotations

import difflib
import json
import posixpath
from typing import NamedTuple

from modelfleet.catalog.engine_cli_flags import FlagTable, engine_cli_flags
from modelfleet.catalog.engine_flags import (
    TGI_DTYPE_WITH_QUANTIZE,
    TGI_FIXED_TOKEN_DEFAULTS,
    TGI_FLAGS,
    TGI_PREFILL_MUST_HOLD_INPUT,
    TGI_QUANTIZE,
    TGI_TOKEN_DEFAULTS,
    VLLM_BITSANDBYTES_NEEDS_LOAD_FORMAT,
    VLLM_DASHED_NAMES_ONLY,
    VLLM_DOTTED_KEYS,
    VLLM_FALSE_AS_VALUE,
    VLLM_FLAGS,
    VLLM_FRONTEND_FLAGS,
    VLLM_KEY_VALUE_DICTS,
    VLLM_KV_CACHE_DTYPES,
    VLLM_LORA_RANKS,
    VLLM_QUANTIZATION,
    VLLM_SPECULATION_NEEDS_V2_BLOCK_MANAGER,
    Span,
    release,
)
from modelfleet.spec.engine import EngineOptions, TgiOptions

DEFAULT_MODEL_DIR = "/mnt/models"

OptionPath = tuple[str | int, ...]
Problem = tuple[OptionPath, str]


class _Setting(NamedTuple):
    """One option as its flag and value (a tuple: every model's options make a few dozen of them)."""

    path: OptionPath  # the option it comes from: camelCase, relative to the options object
    flag: str
    value: object


class _Settings(list):
    """Settings in compile order; add() skips options that are not set."""

    def add(self, path: OptionPath, flag: str, value: object) -> None:
        if value is not None:
            self.append(_Setting(path, flag, value))


def _under(model_dir: str, relative: str) -> str:
    return posixpath.normpath(posixpath.join(model_dir, relative))


def _speculative(options: EngineOptions, version: str, model_dir: str, settings: _Settings) -> None:
    spec = options.speculative
    if spec is None:
        return
    at = ("speculative",)
    draft = _under(model_dir, spec.model) if spec.model is not None else None
    if VLLM_FLAGS["--speculative-config"].covers(version):
        # a draft model's method is left out: vLLM infers it from the checkpoint (draft model, EAGLE, ...)
        config: dict = {"method": "ngram"} if draft is None else {"model": draft}
        config["num_speculative_tokens"] = spec.num_speculative_tokens
        if draft is None:
            config["prompt_lookup_max"] = spec.prompt_lookup_max
            if spec.prompt_lookup_min is not None:
                config["prompt_lookup_min"] = spec.prompt_lookup_min
        settings.add(at, "--speculative-config", config)
        return
    settings.add(at + ("model" if draft else "method",), "--speculative-model", draft or "[ngram]")
    settings.add(at + ("numSpeculativeTokens",), "--num-speculative-tokens", spec.num_speculative_tokens)
    settings.add(at + ("promptLookupMax",), "--ngram-prompt-lookup-max", spec.prompt_lookup_max)
    settings.add(at + ("promptLookupMin",), "--ngram-prompt-lookup-min", spec.prompt_lookup_min)
    if VLLM_SPECULATION_NEEDS_V2_BLOCK_MANAGER.covers(version):
        settings.add(at, "--use-v2-block-manager", True)


def _vllm_settings(options: EngineOptions, version: str, model_dir: str) -> _Settings:
    """Settings in the order of the EngineOptions fields."""
    settings = _Settings()
    add = settings.add
    add(("tensorParallelSize",), "--tensor-parallel-size", options.tensor_parallel_size)
    add(("pipelineParallelSize",), "--pipeline-parallel-size", options.pipeline_parallel_size)
    add(("dataParallelSize",), "--data-parallel-size", options.data_parallel_size)
    add(("distributedExecutorBackend",), "--distributed-executor-backend", options.distributed_executor_backend)
    add(("maxModelLen",), "--max-model-len", options.max_model_len)
    add(("gpuMemoryUtilization",), "--gpu-memory-utilization", options.gpu_memory_utilization)
    add(("maxNumSeqs",), "--max-num-seqs", options.max_num_seqs)
    add(("maxNumBatchedTokens",), "--max-num-batched-tokens", options.max_num_batched_tokens)
    add(("enablePrefixCaching",), "--enable-prefix-caching", options.enable_prefix_caching)
    add(("enableChunkedPrefill",), "--enable-chunked-prefill", options.enable_chunked_prefill)
    add(("quantization",), "--quantization", options.quantization)
    if options.quantization == "bitsandbytes" and VLLM_BITSANDBYTES_NEEDS_LOAD_FORMAT.covers(version):
        add(("quantization",), "--load-format", "bitsandbytes")
    add(("dtype",), "--dtype", options.dtype)
    add(("kvCacheDtype",), "--kv-cache-dtype", options.kv_cache_dtype)
    add(("enforceEager",), "--enforce-eager", options.enforce_eager or None)
    add(("servedModelName",), "--served-model-name", options.served_model_name)
    add(("trustRemoteCode",), "--trust-remote-code", options.trust_remote_code or None)
    if options.lora is not None:
        lora = options.lora
        add(("lora",), "--enable-lora", True)
        add(("lora", "maxLoras"), "--max-loras", lora.max_loras)
        add(("lora", "maxLoraRank"), "--max-lora-rank", lora.max_lora_rank)
        modules = tuple(f"{name}={_under(model_dir, path)}" for name, path in sorted(lora.modules.items()))
        add(("lora", "modules"), "--lora-modules", modules or None)
    _speculative(options, version, model_dir, settings)
    if options.limit_mm_per_prompt is not None:
        limits = options.limit_mm_per_prompt.model_dump(exclude_none=True)
        add(("limitMmPerPrompt",), "--limit-mm-per-prompt", limits or None)
    return settings


def _render(setting: _Setting, version: str) -> list[str]:
    """One setting as arguments (only vLLM settings are ever false, dicts or lists)."""
    flag, value = setting.flag, setting.value
    if value is True:
        return [flag]
    if value is False:
        negative = VLLM_FLAGS.get("--no-" + flag[2:])
        if negative is not None and negative.covers(version):
            return ["--no-" + flag[2:]]
        if flag in VLLM_FALSE_AS_VALUE and VLLM_FALSE_AS_VALUE[flag].covers(version):
            return [f"{flag}=false"]
        return []  # releases with no way to say false have the feature off by default
    if isinstance(value, tuple):
        return [flag, *value]
    if isinstance(value, dict):
        key_value = flag in VLLM_KEY_VALUE_DICTS and VLLM_KEY_VALUE_DICTS[flag].covers(version)
        text = ",".join(f"{key}={item}" for key, item in value.items()) if key_value else json.dumps(value, separators=(",", ":"))
        return [f"{flag}={text}"]
    return [f"{flag}={value}"]


def vllm_args(options: EngineOptions, engine_version: str, model_dir: str = DEFAULT_MODEL_DIR) -> list[str]:
    """Arguments in a fixed order: typed options first, then extraArgs verbatim; paths resolved under model_dir."""
    args = [arg for setting in _vllm_settings(options, engine_version, model_dir) for arg in _render(setting, engine_version)]
    return args + list(options.extra_args)


def vllm_engine_kwargs(options: EngineOptions, engine_version: str, model_dir: str) -> dict:
    """The typed options as vLLM engine keyword arguments (Ray Serve LLM's engine_kwargs), JSON-serialisable.

    LoRA modules (an OpenAI-server option) and extraArgs have no engine keyword: see vllm_engine_kwargs_problems.
    """
    return {
        setting.flag[2:].replace("-", "_"): setting.value
        for setting in _vllm_settings(options, engine_version, model_dir)
        if setting.flag not in VLLM_FRONTEND_FLAGS
    }


def vllm_engine_kwargs_problems(options: EngineOptions) -> list[Problem]:
    """Options a backend that takes engine kwargs (Ray Serve LLM) cannot pass on."""
    problems: list[Problem] = []
    if options.lora is not None and options.lora.modules:
        problems.append((("lora", "modules"), "LoRA modules are an option of vLLM's OpenAI server that engine kwargs cannot carry; remove modules and load the adapters through the backend's own LoRA setting"))
    if options.extra_args:
        problems.append((("extraArgs",), "extraArgs are command-line arguments and engine kwargs cannot carry them; use the typed options"))
    return problems


def _availability(span: Span, what: str, engine: str, version: str, alternative: str = "remove it") -> str | None:
    """Why `what` cannot be used with the pinned version, or None when it can."""
    if span.covers(version):
        return None
    if span.removed is not None and release(version) >= release(span.removed):
        fix = span.instead or f"{alternative} or pin {engine} older than {span.removed}"
        return f"{what} was removed in {engine} {span.removed} (the runtime pins {version}); {fix}"
    return f"{what} needs {engine} {span.introduced} or later (the runtime pins {version}); pin {engine} {span.introduced} or later, or {alternative}"


def _option_name(path: OptionPath) -> str:
    return ".".join(str(part) for part in path)


def _setting_problems(settings: list[_Setting], flags: dict[str, Span], engine: str, version: str) -> list[Problem]:
    return [(setting.path, _availability(flags[setting.flag], _option_name(setting.path), engine, version))
            for setting in settings if not flags[setting.flag].covers(version)]


def _value_problem(values: dict[str, Span], path: OptionPath, value: str | None, engine: str, version: str) -> list[Problem]:
    if value is None or values[value].covers(version):
        return []
    return [(path, _availability(values[value], f"{_option_name(path)} {value}", engine, version, "choose another value"))]


def is_flag(arg: str) -> bool:
    """A command-line flag (`--max-model-len`, `-tp`, `--port=8080`), not a value: negative numbers are values."""
    return arg.startswith("-") and not arg[1:2].isdigit() and arg not in ("-", "--")


def _extra_arg_flags(extra_args: list[str]):
    """(index, flag as written) of every flag among extraArgs; values, including negative numbers, are skipped."""
    for index, arg in enumerate(extra_args):
        if is_flag(arg):
            yield index, arg.split("=", 1)[0]


SHORT_FLAGS = {"-tp": "--tensor-parallel-size", "-pp": "--pipeline-parallel-size", "-dp": "--data-parallel-size", "-q": "--quantization"}
"""vLLM's one-letter aliases of flags that typed options set."""


def _table_problem(flag: str, table: FlagTable, engine: str, version: str, dotted_keys: Span | None) -> str | None:
    """Why the pinned release has no flag `flag`, from its complete flag table; None when it has it, or when the
    table has no facts for the release (nothing is refused on a release that was not read).

    `-O3` counts as `-O` (a one-letter flag takes its value attached); `--x.key` as `--x` where `dotted_keys`
    covers the release. Abbreviations, which vLLM's parser accepts, are refused: one breaks as soon as a release
    adds a flag that starts the same."""
    if not table.covers(version):
        return None
    name = flag.split(".", 1)[0] if dotted_keys is not None and dotted_keys.covers(version) else flag
    if table.has(name, version) or (not name.startswith("--") and table.has(name[:2], version)):
        return None
    spans = table.spans.get(name)
    if spans:
        later = [span for span in spans if release(span.introduced) > release(version)]
        return _availability(later[0] if later else spans[-1], name, engine, version)
    close = difflib.get_close_matches(name.replace("_", "-"), table.flags_of(version), n=1)
    fix = f"did you mean {close[0]}?" if close else "remove it"
    return f"{name} is not a flag of {engine} {version}; {fix}"


def _extra_arg_problems(extra_args: list[str], flags: dict[str, Span], table: FlagTable, engine: str, version: str,
                        settings: list[_Setting], dashed_only: Span | None = None,
                        dotted_keys: Span | None = None) -> list[Problem]:
    """Flags among extraArgs the pinned version does not have, or that a typed option already sets (the engine
    would take whichever comes last). Flags whose history is known (`flags`) get its message and fix; any other
    is checked against the release's complete `table`. `dashed_only`: releases that reject '_' in names."""
    problems: list[Problem] = []
    typed = {setting.flag: setting.path for setting in settings}
    for index, flag in _extra_arg_flags(extra_args):
        name = flag
        if dashed_only is not None and flag.startswith("--") and "_" in flag:
            name = flag.replace("_", "-")
            if dashed_only.covers(version):
                problems.append((("extraArgs", index), f"{engine} {version} accepts only dashed flag names; write {name}"))
                continue
        canonical = SHORT_FLAGS.get(name, name)
        path = typed.get(canonical) or typed.get(canonical.replace("--no-", "--", 1))
        if path is not None:
            option = _option_name(path)
            problems.append((("extraArgs", index), f"{flag} is already set by the typed option {option}; remove it from extraArgs and keep {option}"))
            continue
        if name in flags:
            message = _availability(flags[name], name, engine, version)
        else:
            message = _table_problem(name, table, engine, version, dotted_keys)
        if message is not None:
            problems.append((("extraArgs", index), message))
    return problems


def vllm_option_problems(options: EngineOptions, engine_version: str) -> list[Problem]:
    """Options the pinned vLLM version cannot take: (path relative to the options, camelCase; message)."""
    settings = _vllm_settings(options, engine_version, DEFAULT_MODEL_DIR)
    problems = _setting_problems(settings, VLLM_FLAGS, "vLLM", engine_version)
    problems += _value_problem(VLLM_QUANTIZATION, ("quantization",), options.quantization, "vLLM", engine_version)
    problems += _value_problem(VLLM_KV_CACHE_DTYPES, ("kvCacheDtype",), options.kv_cache_dtype, "vLLM", engine_version)
    rank = options.lora.max_lora_rank if options.lora is not None else None
    for span, ranks in VLLM_LORA_RANKS:
        if rank is not None and span.covers(engine_version) and rank not in ranks:
            allowed = sorted(ranks)
            larger = [value for value in allowed if value > rank]
            fix = f"set maxLoraRank to {larger[0]}" if larger else f"lower maxLoraRank to {allowed[-1]}"
            problems.append((("lora", "maxLoraRank"), f"vLLM {engine_version} accepts max LoRA ranks {', '.join(map(str, allowed))}, not {rank}; {fix}"))
    return problems + _extra_arg_problems(options.extra_args, VLLM_FLAGS, engine_cli_flags()["vllm"], "vLLM", engine_version,
                                          settings, VLLM_DASHED_NAMES_ONLY, VLLM_DOTTED_KEYS)


# vLLM's weight-only kernels read the quantization_config a checkpoint was saved with; a checkpoint of another
# method (or none) fails at load with "Quantization method specified in the model config ... does not match".
VLLM_CHECKPOINT_KERNELS = {
    "awq": frozenset({"awq", "awq_marlin"}),
    "gptq": frozenset({"gptq", "gptq_marlin", "gptq_marlin_24", "marlin", "gptq_bitblas"}),
}


def checkpoint_quantization_problem(checkpoint: str | None, quantization: str | None) -> str | None:
    """Why engine.quantization cannot load a checkpoint quantized with `checkpoint` ('none': not quantized)."""
    if checkpoint is None or quantization is None:
        return None
    needs = next((method for method, kernels in VLLM_CHECKPOINT_KERNELS.items() if quantization in kernels), None)
    if needs is None or checkpoint == needs:
        return None
    if checkpoint == "none":
        return f"{quantization} loads checkpoints quantized with {needs.upper()}, and this one is not quantized (checkpointQuantization: none); remove quantization or serve a checkpoint quantized with {needs.upper()}"
    return f"{quantization} loads checkpoints quantized with {needs.upper()}, and this one is quantized with {checkpoint} (checkpointQuantization); remove quantization (vLLM then reads the checkpoint's method) or serve a checkpoint quantized with {needs.upper()}"


def _tgi_settings(options: TgiOptions, version: str) -> _Settings:
    max_input = "--max-input-tokens" if TGI_FLAGS["--max-input-tokens"].covers(version) else "--max-input-length"
    settings = _Settings()
    add = settings.add
    add(("numShard",), "--num-shard", options.num_shard)
    add(("maxBatchSize",), "--max-batch-size", options.max_batch_size)
    add(("maxInputTokens",), max_input, options.max_input_tokens)
    add(("maxTotalTokens",), "--max-total-tokens", options.max_total_tokens)
    add(("maxBatchPrefillTokens",), "--max-batch-prefill-tokens", options.max_batch_prefill_tokens)
    add(("maxConcurrentRequests",), "--max-concurrent-requests", options.max_concurrent_requests)
    add(("quantize",), "--quantize", options.quantize)
    add(("dtype",), "--dtype", options.dtype)
    add(("trustRemoteCode",), "--trust-remote-code", options.trust_remote_code or None)
    return settings


def tgi_args(options: TgiOptions, tgi_version: str) -> list[str]:
    """text-generation-launcher arguments: typed options first, then extraArgs verbatim."""
    args = [arg for setting in _tgi_settings(options, tgi_version) for arg in _render(setting, tgi_version)]
    return args + list(options.extra_args)


_TOKEN_LIMITS = {"maxInputTokens": "max_input_tokens", "maxTotalTokens": "max_total_tokens",
                 "maxBatchPrefillTokens": "max_batch_prefill_tokens"}


def _token_limit(options: TgiOptions, field: str, version: str) -> tuple[int | None, str]:
    """A token limit as the launcher sees it (the user's, else a fixed default), and its name in a message."""
    value = getattr(options, _TOKEN_LIMITS[field])
    if value is not None:
        return value, f"{field} {value}"
    if TGI_FIXED_TOKEN_DEFAULTS.covers(version):
        return TGI_TOKEN_DEFAULTS[field], f"{field} ({TGI_TOKEN_DEFAULTS[field]}, the default of TGI {version})"
    return None, field


def _ordered_limits(options: TgiOptions, version: str, low: str, high: str, strict: bool) -> list[Problem]:
    """The launcher refuses `low` above `high` (strict: also equal); reported at `low` if the user set it, else `high`."""
    low_value, low_text = _token_limit(options, low, version)
    high_value, high_text = _token_limit(options, high, version)
    if low_value is None or high_value is None or low_value < high_value or (low_value == high_value and not strict):
        return []
    at = low if getattr(options, _TOKEN_LIMITS[low]) is not None else high
    relation = "not below" if strict else "above"
    return [((at,), f"{low_text} is {relation} {high_text}; lower {low} or raise {high}")]


def tgi_option_problems(options: TgiOptions, tgi_version: str) -> list[Problem]:
    """Options the pinned TGI version cannot take, or that its launcher refuses together."""
    settings = _tgi_settings(options, tgi_version)
    problems = _setting_problems(settings, TGI_FLAGS, "TGI", tgi_version)
    problems += _value_problem(TGI_QUANTIZE, ("quantize",), options.quantize, "TGI", tgi_version)
    if options.dtype is not None and options.quantize is not None and options.quantize not in TGI_DTYPE_WITH_QUANTIZE:
        problems.append((("dtype",), f"TGI does not take dtype together with quantize {options.quantize}; remove dtype (the quantized weights decide it) or quantize"))
    if options.quantize == "exl2" and (options.num_shard or 1) > 1:
        problems.append((("numShard",), f"exl2 weights cannot be sharded, numShard is {options.num_shard}; set numShard to 1 or use another quantize method"))
    problems += _ordered_limits(options, tgi_version, "maxInputTokens", "maxTotalTokens", strict=True)
    if TGI_PREFILL_MUST_HOLD_INPUT.covers(tgi_version):
        problems += _ordered_limits(options, tgi_version, "maxInputTokens", "maxBatchPrefillTokens", strict=False)
    return problems + _extra_arg_problems(options.extra_args, TGI_FLAGS, engine_cli_flags()["tgi"], "TGI", tgi_version, settings)
