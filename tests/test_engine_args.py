"""Typed engine options compile to the exact arguments each vLLM / TGI release accepts, and are checked against it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from pydantic import ValidationError

from modelfleet.resolve.engine_args import (
    checkpoint_quantization_problem,
    tgi_args,
    tgi_option_problems,
    vllm_args,
    vllm_engine_kwargs,
    vllm_engine_kwargs_problems,
    vllm_option_problems,
)
from modelfleet.catalog.engine_cli_flags import engine_cli_flags
from modelfleet.catalog.engine_flags import TGI_FLAGS, VLLM_FLAGS, VLLM_KV_CACHE_DTYPES, VLLM_QUANTIZATION, release
from modelfleet.spec.engine import EngineOptions, TgiOptions
from tests.conftest import ROOT
from tests.test_spec_errors import problems_of


def vllm(**fields) -> EngineOptions:
    return EngineOptions.model_validate(fields)


def tgi(**fields) -> TgiOptions:
    return TgiOptions.model_validate(fields)


NGRAM = {"method": "ngram", "numSpeculativeTokens": 5, "promptLookupMax": 4}
DRAFT = {"method": "draft", "numSpeculativeTokens": 3, "model": "draft"}

SERVING = vllm(
    tensorParallelSize=2, pipelineParallelSize=2, dataParallelSize=2, distributedExecutorBackend="mp",
    maxModelLen=8192, gpuMemoryUtilization=0.9, maxNumSeqs=128, maxNumBatchedTokens=4096,
    kvCacheDtype="fp8", enforceEager=True, servedModelName="granite", trustRemoteCode=True,
    extraArgs=["--seed", "7"],
)


@pytest.mark.parametrize("version", ["0.8.3", "0.33.0"])
def test_every_typed_scalar_option_in_field_order_then_extra_args(version):
    assert vllm_args(SERVING, version) == [
        "--tensor-parallel-size=2", "--pipeline-parallel-size=2", "--data-parallel-size=2",
        "--distributed-executor-backend=mp", "--max-model-len=8192", "--gpu-memory-utilization=0.9",
        "--max-num-seqs=128", "--max-num-batched-tokens=4096", "--kv-cache-dtype=fp8", "--enforce-eager",
        "--served-model-name=granite", "--trust-remote-code", "--seed", "7",
    ]
    assert vllm_option_problems(SERVING, version) == []


def test_options_older_releases_lack_are_errors_naming_the_release_that_added_them():
    assert vllm_option_problems(SERVING, "0.4.2") == [
        (("dataParallelSize",), "dataParallelSize needs vLLM 0.8.3 or later (the runtime pins 0.4.2); pin vLLM 0.8.3 or later, or remove it"),
        (("distributedExecutorBackend",), "distributedExecutorBackend needs vLLM 0.4.3 or later (the runtime pins 0.4.2); pin vLLM 0.4.3 or later, or remove it"),
    ]


@pytest.mark.parametrize(("version", "argv"), [
    ("0.6.4", []),  # off by default there, and no way to say false
    ("0.6.5", ["--no-enable-prefix-caching"]),
    ("0.33.0", ["--no-enable-prefix-caching"]),
])
def test_prefix_caching_off_uses_the_negative_form_where_it_exists(version, argv):
    assert vllm_args(vllm(enablePrefixCaching=False), version) == argv
    assert vllm_args(vllm(enablePrefixCaching=True), version) == ["--enable-prefix-caching"]


@pytest.mark.parametrize(("version", "argv"), [
    ("0.5.2", []),
    ("0.5.3", ["--enable-chunked-prefill=false"]),
    ("0.8.4", ["--enable-chunked-prefill=false"]),
    ("0.8.5", ["--no-enable-chunked-prefill"]),
])
def test_chunked_prefill_off_per_release(version, argv):
    assert vllm_args(vllm(enableChunkedPrefill=False), version) == argv
    assert vllm_args(vllm(enableChunkedPrefill=True), version) == ["--enable-chunked-prefill"]


def test_ngram_speculation_old_flags_with_v2_block_manager_until_0_6_3():
    options = vllm(speculative={**NGRAM, "promptLookupMin": 2})
    old = ["--speculative-model=[ngram]", "--num-speculative-tokens=5", "--ngram-prompt-lookup-max=4", "--ngram-prompt-lookup-min=2"]
    assert vllm_args(options, "0.6.2") == old + ["--use-v2-block-manager"]
    assert vllm_args(options, "0.6.3") == old
    assert vllm_args(options, "0.8.1") == old
    assert vllm_option_problems(options, "0.8.1") == []


def test_ngram_speculation_as_speculative_config_from_0_8_2():
    options = vllm(speculative={**NGRAM, "promptLookupMin": 2})
    expected = ['--speculative-config={"method":"ngram","num_speculative_tokens":5,"prompt_lookup_max":4,"prompt_lookup_min":2}']
    assert vllm_args(options, "0.8.2") == expected
    assert vllm_args(options, "0.33.0") == expected


def test_draft_model_stored_next_to_the_model_resolves_under_the_model_directory():
    options = vllm(speculative=DRAFT)
    assert vllm_args(options, "0.5.5") == [
        "--speculative-model=/mnt/models/draft", "--num-speculative-tokens=3", "--use-v2-block-manager",
    ]
    assert vllm_args(options, "0.9.0", model_dir="/mnt/models/granite/") == [
        '--speculative-config={"model":"/mnt/models/granite/draft","num_speculative_tokens":3}',
    ]


def test_ngram_lookup_on_0_4_1_is_an_error_at_the_option():
    options = vllm(speculative={**NGRAM, "promptLookupMin": 2})
    assert vllm_option_problems(options, "0.4.1") == [
        (("speculative", "promptLookupMax"), "speculative.promptLookupMax needs vLLM 0.4.2 or later (the runtime pins 0.4.1); pin vLLM 0.4.2 or later, or remove it"),
        (("speculative", "promptLookupMin"), "speculative.promptLookupMin needs vLLM 0.4.2 or later (the runtime pins 0.4.1); pin vLLM 0.4.2 or later, or remove it"),
    ]


@pytest.mark.parametrize(("speculative", "message"), [
    ({"method": "draft", "numSpeculativeTokens": 3}, "method draft needs model, the draft model's directory relative to the model directory; add model"),
    ({**DRAFT, "promptLookupMax": 3}, "promptLookupMax and promptLookupMin are for method ngram; remove them or use method ngram"),
    ({**NGRAM, "model": "draft"}, "model is the draft model of method draft; remove it or use method draft"),
    ({"method": "ngram", "numSpeculativeTokens": 5}, "method ngram needs promptLookupMax, the longest n-gram matched in the prompt; add it"),
    ({**NGRAM, "promptLookupMin": 6}, "promptLookupMin 6 is above promptLookupMax 4; lower promptLookupMin or raise promptLookupMax"),
    ({**DRAFT, "model": "/models/draft"}, "'/models/draft' is not a path inside the model directory; write it relative to that directory, without '..'"),
    ({**DRAFT, "model": "../draft"}, "'../draft' is not a path inside the model directory; write it relative to that directory, without '..'"),
    ({**DRAFT, "model": "./"}, "'./' is not a path inside the model directory; write it relative to that directory, without '..'"),
])
def test_speculative_fields_that_do_not_go_together_are_spec_errors(speculative, message):
    with pytest.raises(ValidationError) as raised:
        vllm(speculative=speculative)
    assert [error["ctx"]["error"].args[0] for error in raised.value.errors()] == [message]


@pytest.mark.parametrize(("version", "argv"), [
    ("0.5.5", ["--limit-mm-per-prompt=image=4,video=1"]),
    ("0.8.4", ["--limit-mm-per-prompt=image=4,video=1"]),
    ("0.8.5", ['--limit-mm-per-prompt={"image":4,"video":1}']),
    ("0.10.0", ['--limit-mm-per-prompt={"image":4,"video":1}']),
])
def test_multimodal_limits_key_value_then_json(version, argv):
    assert vllm_args(vllm(limitMmPerPrompt={"image": 4, "video": 1}), version) == argv


def test_multimodal_limits_need_0_5_5():
    assert vllm_option_problems(vllm(limitMmPerPrompt={"image": 2}), "0.5.4") == [
        (("limitMmPerPrompt",), "limitMmPerPrompt needs vLLM 0.5.5 or later (the runtime pins 0.5.4); pin vLLM 0.5.5 or later, or remove it"),
    ]


def test_lora_adapters_sorted_and_resolved_under_the_model_directory():
    options = vllm(lora={"maxLoras": 2, "maxLoraRank": 64, "modules": {"sql": "adapters/sql", "chat": "adapters/chat"}})
    assert vllm_args(options, "0.6.3", model_dir="/mnt/models") == [
        "--enable-lora", "--max-loras=2", "--max-lora-rank=64",
        "--lora-modules", "chat=/mnt/models/adapters/chat", "sql=/mnt/models/adapters/sql",
    ]
    assert vllm_args(vllm(lora={}), "0.6.3") == ["--enable-lora"]


@pytest.mark.parametrize(("version", "rank", "problems"), [
    ("0.6.2", 12, []),  # the accepted set before 0.6.3 is not known: not checked
    ("0.6.3", 12, [(("lora", "maxLoraRank"), "vLLM 0.6.3 accepts max LoRA ranks 8, 16, 32, 64, 128, 256, not 12; set maxLoraRank to 16")]),
    ("0.11.0", 512, [(("lora", "maxLoraRank"), "vLLM 0.11.0 accepts max LoRA ranks 8, 16, 32, 64, 128, 256, not 512; lower maxLoraRank to 256")]),
    ("0.11.1", 512, []),
    ("0.11.1", 1, []),
])
def test_lora_rank_checked_against_the_release(version, rank, problems):
    assert vllm_option_problems(vllm(lora={"maxLoraRank": rank}), version) == problems


def test_bitsandbytes_adds_its_load_format_until_0_8_2_and_leaves_core_in_0_28_0():
    options = vllm(quantization="bitsandbytes")
    assert vllm_args(options, "0.8.1") == ["--quantization=bitsandbytes", "--load-format=bitsandbytes"]
    assert vllm_args(options, "0.8.2") == ["--quantization=bitsandbytes"]
    assert vllm_option_problems(options, "0.4.3") == [
        (("quantization",), "quantization bitsandbytes needs vLLM 0.5.0 or later (the runtime pins 0.4.3); pin vLLM 0.5.0 or later, or choose another value"),
    ]
    assert vllm_option_problems(options, "0.28.0") == [
        (("quantization",), "quantization bitsandbytes was removed in vLLM 0.28.0 (the runtime pins 0.28.0); install the vllm-bnb-plugin in the engine image and pass --quantization=bitsandbytes in extraArgs"),
    ]


def test_quantization_and_kv_cache_dtype_values_per_release():
    assert vllm_option_problems(vllm(quantization="nvfp4"), "0.8.5") == []
    assert vllm_option_problems(vllm(quantization="nvfp4"), "0.9.0") == [
        (("quantization",), "quantization nvfp4 was removed in vLLM 0.9.0 (the runtime pins 0.9.0); use modelopt_fp4 (its new name)"),
    ]
    assert vllm_option_problems(vllm(quantization="aqlm"), "0.10.1") == [
        (("quantization",), "quantization aqlm was removed in vLLM 0.10.1 (the runtime pins 0.10.1); choose another method or pin an older vLLM"),
    ]
    assert vllm_option_problems(vllm(kvCacheDtype="fp8_e5m2"), "0.4.2") == [
        (("kvCacheDtype",), "kvCacheDtype fp8_e5m2 needs vLLM 0.4.3 or later (the runtime pins 0.4.2); pin vLLM 0.4.3 or later, or choose another value"),
    ]
    assert vllm_option_problems(vllm(kvCacheDtype="fp8_e5m2"), "0.4.3") == []


def test_spec_accepts_every_known_value_and_rejects_others():
    for value in VLLM_QUANTIZATION:
        vllm(quantization=value)
    for value in VLLM_KV_CACHE_DTYPES:
        vllm(kvCacheDtype=value)
    with pytest.raises(ValidationError):
        vllm(quantization="int3")


@pytest.mark.parametrize(("version", "extra", "problems"), [
    ("0.9.2", ["--use-v2-block-manager"], []),
    ("0.10.0", ["--use-v2-block-manager"], [(("extraArgs", 0), "--use-v2-block-manager was removed in vLLM 0.10.0 (the runtime pins 0.10.0); remove it (the v2 block manager is the default from vLLM 0.6.3)")]),
    ("0.8.3", ["--max-log-len", "-1", "--speculative-model=[ngram]"], [(("extraArgs", 2), "--speculative-model was removed in vLLM 0.8.3 (the runtime pins 0.8.3); use the typed speculative option (compiled to --speculative-config from vLLM 0.8.2)")]),
    ("0.8.2", ["-dp", "2"], [(("extraArgs", 0), "-dp needs vLLM 0.8.3 or later (the runtime pins 0.8.2); pin vLLM 0.8.3 or later, or remove it")]),
    ("0.6.1", ["--engine-use-ray"], []),
    ("0.6.1.post1", ["--engine-use-ray"], [(("extraArgs", 0), "--engine-use-ray was removed in vLLM 0.6.1.post1 (the runtime pins 0.6.1.post1); remove it")]),
    ("0.18.0", ["--swap_space=4"], [(("extraArgs", 0), "--swap-space was removed in vLLM 0.18.0 (the runtime pins 0.18.0); remove it (the V1 engine does not swap)")]),
    ("0.5.0", ["--max_log_len=10"], [(("extraArgs", 0), "vLLM 0.5.0 accepts only dashed flag names; write --max-log-len")]),
    ("0.5.1", ["--max_log_len=10"], []),
])
def test_extra_args_flags_checked_against_the_release(version, extra, problems):
    assert vllm_option_problems(vllm(extraArgs=extra), version) == problems
    assert vllm_args(vllm(extraArgs=extra), version) == extra


def test_releases_compare_post_releases_after_their_release():
    assert release("0.6.1") < release("0.6.1.post2") < release("0.6.2") == release("v0.6.2")
    assert release("0.8") == (0, 8, 0, 0)


def test_engine_kwargs_carry_the_same_options_for_ray_serve():
    options = vllm(
        tensorParallelSize=2, enablePrefixCaching=False, quantization="awq", maxNumBatchedTokens=8192,
        lora={"maxLoras": 4}, speculative=DRAFT, limitMmPerPrompt={"image": 2},
    )
    kwargs = vllm_engine_kwargs(options, "0.9.0", "/models/llama")
    assert list(kwargs.items()) == [
        ("tensor_parallel_size", 2), ("max_num_batched_tokens", 8192), ("enable_prefix_caching", False),
        ("quantization", "awq"), ("enable_lora", True), ("max_loras", 4),
        ("speculative_config", {"model": "/models/llama/draft", "num_speculative_tokens": 3}),
        ("limit_mm_per_prompt", {"image": 2}),
    ]
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert vllm_engine_kwargs(vllm(speculative=NGRAM), "0.6.2", "/m") == {
        "speculative_model": "[ngram]", "num_speculative_tokens": 5, "ngram_prompt_lookup_max": 4, "use_v2_block_manager": True,
    }
    assert vllm_engine_kwargs_problems(options) == []


def test_engine_kwargs_cannot_carry_lora_modules_or_extra_args():
    options = vllm(lora={"modules": {"sql": "sql"}}, extraArgs=["--seed=1"])
    assert vllm_engine_kwargs(options, "0.9.0", "/m") == {"enable_lora": True}
    assert vllm_engine_kwargs_problems(options) == [
        (("lora", "modules"), "LoRA modules are an option of vLLM's OpenAI server that engine kwargs cannot carry; remove modules and load the adapters through the backend's own LoRA setting"),
        (("extraArgs",), "extraArgs are command-line arguments and engine kwargs cannot carry them; use the typed options"),
    ]


def test_every_flag_the_compiler_writes_has_its_facts():
    options = vllm(
        tensorParallelSize=1, pipelineParallelSize=1, dataParallelSize=1, distributedExecutorBackend="ray",
        maxModelLen=1, gpuMemoryUtilization=0.5, maxNumSeqs=1, maxNumBatchedTokens=1, enablePrefixCaching=False,
        enableChunkedPrefill=False, quantization="bitsandbytes", dtype="auto", kvCacheDtype="auto", enforceEager=True,
        servedModelName="m", trustRemoteCode=True, lora={"maxLoras": 1, "maxLoraRank": 8, "modules": {"a": "a"}},
        speculative={**NGRAM, "promptLookupMin": 1}, limitMmPerPrompt={"image": 1},
    )
    for version in ("0.4.1", "0.5.0", "0.6.2", "0.8.1", "0.8.2", "0.8.5", "0.10.0", "0.33.0"):
        written = {arg.split("=", 1)[0] for arg in vllm_args(options, version) if arg.startswith("--")}
        assert written <= set(VLLM_FLAGS), version
        vllm_option_problems(options, version)


@pytest.mark.parametrize(("version", "flag"), [("1.4.5", "--max-input-length"), ("2.0.0", "--max-input-tokens"), ("3.3.7", "--max-input-tokens")])
def test_tgi_arguments_with_the_max_input_flag_of_the_release(version, flag):
    options = tgi(
        numShard=2, maxBatchSize=32, maxInputTokens=1000, maxTotalTokens=2000, maxBatchPrefillTokens=4096,
        maxConcurrentRequests=64, quantize="gptq", trustRemoteCode=True, extraArgs=["--max-best-of=1"],
    )
    assert tgi_args(options, version) == [
        "--num-shard=2", "--max-batch-size=32", f"{flag}=1000", "--max-total-tokens=2000",
        "--max-batch-prefill-tokens=4096", "--max-concurrent-requests=64", "--quantize=gptq",
        "--trust-remote-code", "--max-best-of=1",
    ]
    assert tgi_option_problems(options, version) == []


def test_tgi_options_and_values_older_releases_lack():
    assert tgi_option_problems(tgi(maxBatchSize=8, quantize="fp8"), "1.4.0") == [
        (("maxBatchSize",), "maxBatchSize needs TGI 1.4.1 or later (the runtime pins 1.4.0); pin TGI 1.4.1 or later, or remove it"),
        (("quantize",), "quantize fp8 needs TGI 2.0.0 or later (the runtime pins 1.4.0); pin TGI 2.0.0 or later, or choose another value"),
    ]
    assert tgi_option_problems(tgi(extraArgs=["--enable-cuda-graphs"]), "2.0.0") == [
        (("extraArgs", 0), "--enable-cuda-graphs was removed in TGI 2.0.0 (the runtime pins 2.0.0); use --cuda-graphs (a list of batch sizes, 0 disables)"),
    ]
    assert tgi_option_problems(tgi(extraArgs=["--max_input_tokens=5"]), "2.0.0") == [
        (("extraArgs", 0), "--max_input_tokens is not a flag of TGI 2.0.0; did you mean --max-input-tokens?"),
    ]


def test_tgi_options_its_launcher_refuses_together():
    assert tgi_option_problems(tgi(quantize="awq", dtype="float16"), "2.0.0") == [
        (("dtype",), "TGI does not take dtype together with quantize awq; remove dtype (the quantized weights decide it) or quantize"),
    ]
    assert tgi_option_problems(tgi(quantize="bitsandbytes-nf4", dtype="bfloat16"), "2.0.0") == []
    assert tgi_option_problems(tgi(quantize="exl2", numShard=2), "2.1.0") == [
        (("numShard",), "exl2 weights cannot be sharded, numShard is 2; set numShard to 1 or use another quantize method"),
    ]


def test_tgi_token_limits_use_the_fixed_defaults_of_1_x():
    assert tgi_option_problems(tgi(maxInputTokens=3000), "1.4.5") == [
        (("maxInputTokens",), "maxInputTokens 3000 is not below maxTotalTokens (2048, the default of TGI 1.4.5); lower maxInputTokens or raise maxTotalTokens"),
    ]
    assert tgi_option_problems(tgi(maxTotalTokens=1024), "1.4.5") == [
        (("maxTotalTokens",), "maxInputTokens (1024, the default of TGI 1.4.5) is not below maxTotalTokens 1024; lower maxInputTokens or raise maxTotalTokens"),
    ]
    assert tgi_option_problems(tgi(maxInputTokens=3000), "2.0.0") == []  # defaults derived from the model


def test_tgi_prefill_batch_must_hold_a_prompt_before_2_4_0():
    options = tgi(maxInputTokens=6000, maxTotalTokens=8000, maxBatchPrefillTokens=4096)
    expected = [(("maxInputTokens",), "maxInputTokens 6000 is above maxBatchPrefillTokens 4096; lower maxInputTokens or raise maxBatchPrefillTokens")]
    assert tgi_option_problems(options, "2.3.1") == expected
    assert tgi_option_problems(options, "2.4.0") == []
    assert tgi_option_problems(tgi(maxInputTokens=1500, maxTotalTokens=8000), "1.4.5") == []
    assert tgi_option_problems(tgi(maxInputTokens=5000, maxTotalTokens=8000), "1.4.5") == [
        (("maxInputTokens",), "maxInputTokens 5000 is above maxBatchPrefillTokens (4096, the default of TGI 1.4.5); lower maxInputTokens or raise maxBatchPrefillTokens"),
    ]


@pytest.mark.parametrize(("checkpoint", "quantization", "message"), [
    ("gptq", "awq", "awq loads checkpoints quantized with AWQ, and this one is quantized with gptq (checkpointQuantization); remove quantization (vLLM then reads the checkpoint's method) or serve a checkpoint quantized with AWQ"),
    ("awq", "gptq_marlin", "gptq_marlin loads checkpoints quantized with GPTQ, and this one is quantized with awq (checkpointQuantization); remove quantization (vLLM then reads the checkpoint's method) or serve a checkpoint quantized with GPTQ"),
    ("none", "awq_marlin", "awq_marlin loads checkpoints quantized with AWQ, and this one is not quantized (checkpointQuantization: none); remove quantization or serve a checkpoint quantized with AWQ"),
    ("fp8", "gptq", "gptq loads checkpoints quantized with GPTQ, and this one is quantized with fp8 (checkpointQuantization); remove quantization (vLLM then reads the checkpoint's method) or serve a checkpoint quantized with GPTQ"),
])
def test_a_weight_only_kernel_needs_a_checkpoint_quantized_its_way(checkpoint, quantization, message):
    assert checkpoint_quantization_problem(checkpoint, quantization) == message


@pytest.mark.parametrize(("checkpoint", "quantization"), [
    ("awq", "awq"), ("awq", "awq_marlin"), ("gptq", "gptq_marlin"), ("gptq", "marlin"),
    ("none", "fp8"), ("none", "bitsandbytes"),  # online quantization of an unquantized checkpoint
    ("fp8", "fp8"), ("compressed-tensors", "fp8"),  # pairings the engine decides
    (None, "awq"), ("awq", None),
])
def test_pairings_that_load_or_that_the_engine_decides_are_not_errors(checkpoint, quantization):
    assert checkpoint_quantization_problem(checkpoint, quantization) is None


def test_the_mismatch_is_located_at_the_model_engine_quantization(project):
    stack = """
    config:
      modelfleet:environment: {namespace: ml-dev}
      modelfleet:models:
        - name: llama
          checkpointQuantization: gptq
          engine: {quantization: awq_marlin}
    """
    assert problems_of(project, stack) == [
        "stacks/Pulumi.dev.yaml:6:16: models[0].engine.quantization: awq_marlin loads checkpoints quantized with AWQ, and this "
        "one is quantized with gptq (checkpointQuantization); remove quantization (vLLM then reads the checkpoint's method) or "
        "serve a checkpoint quantized with AWQ",
    ]


@pytest.mark.parametrize(("extra", "problem"), [
    (["--max-model-len", "8192"], (("extraArgs", 0), "--max-model-len is already set by the typed option maxModelLen; remove it from extraArgs and keep maxModelLen")),
    (["--max-model-len=8192"], (("extraArgs", 0), "--max-model-len is already set by the typed option maxModelLen; remove it from extraArgs and keep maxModelLen")),
    (["-tp", "2"], (("extraArgs", 0), "-tp is already set by the typed option tensorParallelSize; remove it from extraArgs and keep tensorParallelSize")),
])
def test_a_flag_a_typed_option_sets_is_refused_in_extra_args(extra, problem):
    options = EngineOptions.model_validate({"maxModelLen": 4096, "tensorParallelSize": 2, "extraArgs": extra})
    assert vllm_option_problems(options, "0.28.0") == [problem]


def test_a_flag_tgi_options_set_is_refused_in_extra_args():
    options = TgiOptions.model_validate({"maxTotalTokens": 4096, "extraArgs": ["--max-total-tokens", "8192"]})
    assert tgi_option_problems(options, "2.4.0") == [(("extraArgs", 0), "--max-total-tokens is already set by the typed option maxTotalTokens; remove it from extraArgs and keep maxTotalTokens")]


@pytest.mark.parametrize(("version", "extra", "problems"), [
    ("0.28.0", ["--max-modle-len", "8192"], [(("extraArgs", 0), "--max-modle-len is not a flag of vLLM 0.28.0; did you mean --max-model-len?")]),
    ("0.28.0", ["--max_modle_len=8192"], [(("extraArgs", 0), "--max-modle-len is not a flag of vLLM 0.28.0; did you mean --max-model-len?")]),
    ("0.28.0", ["--no-such-flag"], [(("extraArgs", 0), "--no-such-flag is not a flag of vLLM 0.28.0; remove it")]),
    ("0.28.0", ["-tp2"], [(("extraArgs", 0), "-tp2 is not a flag of vLLM 0.28.0; did you mean -tp?")]),
    ("0.28.0", ["--kv-cache-memory", "1G"], [(("extraArgs", 0), "--kv-cache-memory is not a flag of vLLM 0.28.0; did you mean --kv-cache-memory-bytes?")]),
    # a flag of newer releases only (0.10.1.1 is a release of its own, newer than 0.10.1)
    ("0.10.1", ["--h11-max-header-count=64"], [(("extraArgs", 0), "--h11-max-header-count needs vLLM 0.10.1.1 or later (the runtime pins 0.10.1); pin vLLM 0.10.1.1 or later, or remove it")]),
    ("0.10.1.1", ["--h11-max-header-count=64"], []),
    # a flag of older releases only
    ("0.6.0", ["--image-input-type=pixel_values"], [(("extraArgs", 0), "--image-input-type was removed in vLLM 0.5.1 (the runtime pins 0.6.0); remove it or pin vLLM older than 0.5.1")]),
    # dotted JSON keys name their flag from 0.9.0; before, the whole name is unknown
    ("0.9.0", ["--speculative-config.method", "ngram"], []),
    ("0.8.5", ["--speculative-config.method", "ngram"], [(("extraArgs", 0), "--speculative-config.method is not a flag of vLLM 0.8.5; did you mean --speculative-config?")]),
])
def test_extra_args_unknown_to_the_pinned_release_are_refused(version, extra, problems):
    assert vllm_option_problems(vllm(extraArgs=extra), version) == problems


@pytest.mark.parametrize(("version", "extra"), [
    ("0.28.0", ["--disable-log-stats", "--max-num-seqs", "8", "--seed=-1", "--uvicorn-log-level", "warning"]),
    ("0.4.1", ["--enforce-eager", "--disable-custom-all-reduce", "-q", "awq"]),
    ("0.28.0", ["--no-enforce-eager", "-O3", "--compilation_config.cudagraph_mode=PIECEWISE", "-asc", "2", "--grpc"]),
    ("0.11.0", ["-O", "3", "--guided-decoding-backend", "xgrammar"]),  # still accepted, deprecated, in 0.11.x
])
def test_rarely_used_flags_of_the_pinned_release_are_accepted(version, extra):
    assert vllm_option_problems(vllm(extraArgs=extra), version) == []


@pytest.mark.parametrize("version", ["0.4.0", "0.3.3", "0.28.1", "0.29.0", "1.0.0"])
def test_unknown_flags_pass_on_releases_outside_the_flag_table(version):
    assert vllm_option_problems(vllm(extraArgs=["--no-such-flag", "--max-modle-len=1"]), version) == []


def test_known_flag_history_still_applies_outside_the_flag_table():
    assert vllm_option_problems(vllm(extraArgs=["--speculative-model=x"]), "0.29.0") == [
        (("extraArgs", 0), "--speculative-model was removed in vLLM 0.8.3 (the runtime pins 0.29.0); use the typed speculative option (compiled to --speculative-config from vLLM 0.8.2)"),
    ]
    assert tgi_option_problems(tgi(extraArgs=["--speculate=2"]), "1.2.0") == [
        (("extraArgs", 0), "--speculate needs TGI 1.3.0 or later (the runtime pins 1.2.0); pin TGI 1.3.0 or later, or remove it"),
    ]


@pytest.mark.parametrize(("version", "extra", "problems"), [
    ("1.4.0", ["--max-concurent-requests", "9"], [(("extraArgs", 0), "--max-concurent-requests is not a flag of TGI 1.4.0; did you mean --max-concurrent-requests?")]),
    ("3.3.7", ["--no-such-flag"], [(("extraArgs", 0), "--no-such-flag is not a flag of TGI 3.3.7; remove it")]),
    ("3.2.1", ["-g", "30"], [(("extraArgs", 0), "-g needs TGI 3.2.2 or later (the runtime pins 3.2.1); pin TGI 3.2.2 or later, or remove it")]),
    ("3.3.7", ["-g", "30", "-p8080", "--sharded=false", "--ngrok-edge", "e", "--cuda-memory-fraction", "0.9"], []),
    ("1.3.4", ["--no-such-flag"], []),  # older than the releases read
    ("3.4.0", ["--no-such-flag"], []),  # newer than the releases read
])
def test_tgi_extra_args_checked_against_the_release_flag_table(version, extra, problems):
    assert tgi_option_problems(tgi(extraArgs=extra), version) == problems


def test_flag_table_agrees_with_the_known_flag_history():
    """engine_flags and the complete tables are facts about the same releases: every span agrees on every release read."""
    for flags, table in ((VLLM_FLAGS, engine_cli_flags()["vllm"]), (TGI_FLAGS, engine_cli_flags()["tgi"])):
        for flag, span in flags.items():
            assert [version for version in table.releases if span.covers(version) != table.has(flag, version)] == [], flag


def test_flag_table_covers_the_releases_read():
    vllm_table, tgi_table = engine_cli_flags()["vllm"], engine_cli_flags()["tgi"]
    assert (vllm_table.releases[0], vllm_table.releases[-1], len(vllm_table.releases)) == ("0.4.1", "0.28.0", 72)
    assert (tgi_table.releases[0], tgi_table.releases[-1], len(tgi_table.releases)) == ("1.4.0", "3.3.7", 35)
    assert list(vllm_table.releases) == sorted(vllm_table.releases, key=release)


def _validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelfleet.cli", "validate", *args], cwd=ROOT, capture_output=True, text=True)


def test_the_example_stacks_validate():
    result = _validate()
    assert result.returncode == 0, result.stderr


def test_a_misspelt_extra_arg_is_reported_where_the_stack_declares_it(tmp_path):
    for name in ("stacks", "policies", "runtime-image"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    stack = tmp_path / "stacks" / "Pulumi.dev.yaml"
    text = stack.read_text()
    for typed in ("engine: {tensorParallelSize: 2, maxModelLen: 4096", "tgi: {numShard: 2, maxBatchSize: 16"):
        assert typed in text
    text = text.replace("engine: {tensorParallelSize: 2, maxModelLen: 4096", 'engine: {tensorParallelSize: 2, maxModelLen: 4096, extraArgs: ["--enforce-eagr"]')
    stack.write_text(text.replace("tgi: {numShard: 2, maxBatchSize: 16", 'tgi: {numShard: 2, maxBatchSize: 16, extraArgs: ["--max-concurent-requests", "9"]'))
    lines = stack.read_text().splitlines()
    vllm_line, vllm_column = next((number, line.index('"--enforce-eagr') + 1) for number, line in enumerate(lines, 1) if "--enforce-eagr" in line)
    tgi_line, tgi_column = next((number, line.index('"--max-concurent') + 1) for number, line in enumerate(lines, 1) if "--max-concurent" in line)
    result = _validate("dev", "--project", str(tmp_path))
    assert result.returncode == 1
    assert f"stacks/Pulumi.dev.yaml:{vllm_line}:{vllm_column}: models[1].engine.extraArgs[0]: --enforce-eagr is not a flag of vLLM 0.6.3; did you mean --enforce-eager?" in result.stderr
    assert f"stacks/Pulumi.dev.yaml:{tgi_line}:{tgi_column}: models[5].tgi.extraArgs[0]: --max-concurent-requests is not a flag of TGI 2.0.4; did you mean --max-concurrent-requests?" in result.stderr
