"""GPU memory fit and KV-cache capacity: the estimate against the published vLLM start-up logs (anchors A1-A4 of
../shared/reference/model-architectures.md, numbers carried here), and the located errors and warnings a stack gets.

Tolerance reached (stated in README "GPU fit and KV-cache capacity"):
- A1 (Llama-3.1-8B, RTX 3090, vLLM 0.6.4): KV blocks 5.6% and 9.9% below the measurement, never above;
  the 29,000-token case does not fit, as measured.
- A2 (Qwen2.5-VL-72B, 4 x A100-40GB, TP 4): weights per GPU within 1% of the measured 34.43 GiB; does not fit.
- A3 (Qwen1.5-7B GPTQ-Int4, RTX 3090, vLLM ~0.3, shapes unverified): KV tokens 3.6% above the measurement,
  the only optimistic anchor (an engine older than the rules modelled).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from modelfleet.build.environment import built_objects
from modelfleet.catalog.model_architectures import ARCHITECTURES, Architecture
from modelfleet.load.project import Project, SpecError
from modelfleet.resolve.environment import resolve
from modelfleet.resolve.gpu_fit import GIB, SIXTEEN_BIT, Estimate, FitInputs, estimate, kv_bytes_per_token, weight_bytes, weight_format
from modelfleet.spec.stack_loader import load_stack

# --- the estimate against published measurements ---------------------------------------------------------


def rtx3090(**changes) -> FitInputs:
    """A1's set-up: Llama-3.1-8B-Instruct in 16 bits on a 24 GB RTX 3090, vLLM 0.6.4 (V0), util 0.90."""
    inputs = FitInputs(
        engine="vllm", version="0.6.4", architecture=ARCHITECTURES["llama-3.1-8b"], weights=SIXTEEN_BIT,
        activation_bytes=2, kv_bytes=2.0, tensor_parallel=1, pipeline_parallel=1, memory_per_gpu=24 * GIB,
        gpu_model="NVIDIA-GeForce-RTX-3090", utilization=0.9, sequence_length=20000, prefill_tokens=None,
    )  # fmt: skip
    return replace(inputs, **changes)


@pytest.mark.parametrize(("length", "measured_blocks", "fits"), [(20000, 1952, True), (29000, 1478, False)])
def test_a1_llama_31_8b_on_an_rtx_3090_is_within_10_percent_below_the_measured_kv_blocks(length, measured_blocks, fits):
    result = estimate(rtx3090(sequence_length=length))
    blocks = result.kv_tokens // 16
    assert 0.90 * measured_blocks <= blocks <= measured_blocks  # conservative: never more cache than measured
    assert result.fits is fits
    assert round(result.weights / GIB, 2) == 14.96  # the log: "weights 14.9888 GB"


def test_a1_concurrency_is_what_vllm_prints():
    assert f"{estimate(rtx3090()).concurrency:.2f}" == "1.47"  # measured 1.56x (1952 blocks x 16 / 20000)


def test_a2_qwen25_vl_72b_on_four_a100_40gb_weights_per_gpu_and_does_not_fit():
    vision = Architecture(**{**ARCHITECTURES["qwen2.5-72b"].__dict__, "encoder_parameters": 675_000_000, "max_context": 128000})
    result = estimate(rtx3090(version="0.8.3", architecture=vision, tensor_parallel=4, memory_per_gpu=40 * GIB,
                              gpu_model="NVIDIA-A100-SXM4-40GB", utilization=0.95, sequence_length=None))
    assert abs(result.weights / GIB - 34.43) / 34.43 < 0.01
    assert not result.fits and result.sequence_length == 128000


def test_a3_qwen15_7b_gptq_int4_is_within_4_percent_of_the_measured_tokens():
    qwen15 = Architecture(parameters=7_721_324_544, layers=32, hidden_size=4096, attention_heads=32, kv_heads=32, head_dim=128,
                          intermediate_size=11008, vocab_size=151936, max_context=32768)
    result = estimate(rtx3090(version="0.4.1", architecture=qwen15, weights=weight_format("gptq", None, "vllm"), sequence_length=None))
    assert 24320 <= result.kv_tokens <= 1.04 * 24320
    assert not result.fits  # "model max 32768 > 24320"


@pytest.mark.parametrize(("tokens", "length", "printed"), [(2_042_016, 2048, "997.08"), (643_232, 40_960, "15.70")])
def test_concurrency_is_tokens_over_length_as_in_the_v1_log_lines(tokens, length, printed):
    result = Estimate(0, 0, 0, 0, 1.0, tokens, length, 0.9)
    assert f"{result.concurrency:.2f}" == printed


@pytest.mark.parametrize(("name", "per_token"), [
    ("llama-3-8b", 131_072), ("llama-3.1-70b", 327_680), ("llama-3.1-405b", 516_096), ("llama-3.2-1b", 32_768),
    ("qwen-7b", 524_288), ("qwen2.5-7b", 57_344), ("granite-3.1-8b", 163_840), ("mistral-7b-v0.3", 131_072),
])  # fmt: skip
def test_kv_bytes_per_token_match_the_reference_table(name, per_token):
    assert kv_bytes_per_token(ARCHITECTURES[name], 2.0, 1) == per_token


def test_tensor_parallelism_splits_kv_heads_only_as_far_as_they_go_and_pipeline_splits_layers():
    llama70 = ARCHITECTURES["llama-3-70b"]  # 8 KV heads
    assert kv_bytes_per_token(llama70, 2.0, 4) == 327_680 / 4
    assert kv_bytes_per_token(llama70, 2.0, 16) == 327_680 / 8  # heads replicated beyond TP 8
    assert kv_bytes_per_token(llama70, 1.0, 8, 2) == 327_680 / 8 / 2 / 2  # fp8 cache, half the layers
    mla = Architecture(**{**llama70.__dict__, "mla_latent": 512 + 64})
    assert kv_bytes_per_token(mla, 2.0, 8) == 80 * 576 * 2  # one latent per layer, not split by TP


def test_catalog_parameter_counts_follow_from_the_shapes():
    for name in ("llama-3-8b", "llama-3.1-405b", "llama-3.2-1b", "mistral-7b-v0.3", "granite-3.1-8b"):
        arch = ARCHITECTURES[name]
        hidden, q, kv = arch.hidden_size, arch.attention_heads * arch.head_dim, arch.kv_heads * arch.head_dim
        layer = 2 * hidden * q + 2 * hidden * kv + 3 * hidden * arch.intermediate_size + 2 * hidden
        assert arch.embedding_parameters + arch.layers * layer + hidden == arch.parameters, name


def test_quantized_checkpoints_keep_embeddings_in_16_bits():
    llama = ARCHITECTURES["llama-3-8b"]
    assert weight_bytes(llama, SIXTEEN_BIT, 2) == 2 * 8_030_261_248
    four_bit = weight_bytes(llama, weight_format("awq", None, "vllm"), 2)
    assert four_bit == (8_030_261_248 - 2 * 128256 * 4096) * (0.5 + 20 / 1024) + 2 * 128256 * 4096 * 2
    assert weight_format("gptq", 8, "vllm")[1] == 1 + 24 / 1024
    assert weight_format("bitsandbytes", None, "tgi") == ("8-bit", 1.0)  # TGI's plain bitsandbytes is LLM.int8
    assert weight_format("gguf", None, "vllm") is None


def test_lora_slots_a_draft_model_and_cuda_graphs_take_from_the_kv_cache():
    base = estimate(rtx3090(sequence_length=8192))
    lora = estimate(rtx3090(sequence_length=8192, lora=(4, 16)))
    # 4 slots x rank 16 x 32 layers x (in + out of q, k, v, o, gate, up, down) x 2 bytes
    assert lora.overhead - base.overhead == 4 * 16 * 32 * (2 * 8192 + 2 * 5120 + 3 * 18432) * 2
    draft = estimate(rtx3090(sequence_length=8192, draft=ARCHITECTURES["llama-3.2-1b"]))
    assert draft.weights - base.weights == 2 * 1_235_814_400
    assert draft.kv_bytes_per_token == 131_072 + 32_768
    assert estimate(rtx3090(version="0.20.0", sequence_length=8192, utilization=0.9)).overhead - estimate(
        rtx3090(version="0.19.0", sequence_length=8192)).overhead == GIB
    assert estimate(rtx3090(version="0.20.0", sequence_length=8192, utilization=0.9, enforce_eager=True)).overhead < estimate(
        rtx3090(version="0.20.0", sequence_length=8192, utilization=0.9)).overhead


def test_default_utilisation_follows_the_release():
    assert estimate(rtx3090(utilization=None)).utilization == 0.9
    assert estimate(rtx3090(version="0.20.0", utilization=None)).utilization == 0.92


# --- located errors, warnings and the plan ---------------------------------------------------------------

FIT_SHARED = """
config:
  modelfleet:environment:
    platform: {knative: "1.23", kuberay: "1.7"}
  modelfleet:gpuPools:
    - {name: v100, gpuModel: Tesla-V100-SXM2-16GB, memoryPerGpu: 16Gi, gpusPerNode: 4}
    - {name: a100, gpuModel: NVIDIA-A100-SXM4-80GB, memoryPerGpu: 80Gi, gpusPerNode: 8}
    - {name: unsized, gpuModel: NVIDIA-L4}
  modelfleet:storage:
    - {name: models, pvc: {claimName: model-storage}}
  modelfleet:runtimes:
    - {name: vllm, vllm: {image: "vllm/vllm-openai:v0.6.3", version: "0.6.3"}}
    - {name: multinode, vllm: {image: "vllm/vllm-openai:v0.6.3", version: "0.6.3", multiNode: true}}
    - {name: ray-llm, vllm: {image: "rayproject/ray-llm:2.52.0-py311-cu128", version: "0.11.0", rayVersion: "2.52.0"}}
    - {name: tgi, tgi: {image: "ghcr.io/huggingface/text-generation-inference:2.0.4", version: "2.0.4"}}
"""


def stack(project, models: str, environment: str = "namespace: ml-dev"):
    project.write("shared.yaml", FIT_SHARED)
    project.write("Pulumi.dev.yaml", f"config:\n  modelfleet:environment: {{{environment}}}\n  modelfleet:models:\n{models.lstrip(chr(10))}")
    return load_stack(Project.at(project.root), "dev")


def problems(project, models: str, environment: str = "namespace: ml-dev") -> list[str]:
    with pytest.raises(SpecError) as caught:
        resolve(stack(project, models, environment))
    return [str(problem) for problem in caught.value.problems]


def test_a_70b_model_in_16_bits_with_128k_context_on_one_v100_is_an_error(project):
    assert problems(project, """
    - {name: big, backend: deployment, runtime: vllm, storage: {name: models, path: l}, architecture: llama-3.1-70b, gpu: {pool: v100}}
""") == [
        "stacks/Pulumi.dev.yaml:4:118: models[0].gpu: llama-3.1-70b 16-bit weights take 131.42 GiB on each of its 1 GPU(s), "
        "plus 0.85 GiB of activations and buffers, but vLLM may use 14.11 GiB of a 16Gi GPU of pool 'v100' "
        "(gpuMemoryUtilization 0.9 of the 15.68 GiB it reports); no single change is enough: combine a bigger pool, "
        "more GPUs, a quantized checkpoint and a shorter engine.maxModelLen",
    ]  # fmt: skip


def test_weights_that_do_not_load_name_every_fix_that_works_with_its_figure(project):
    assert problems(project, """
    - name: llama
      runtime: vllm
      format: vLLM
      storage: {name: models, path: llama-3-8b}
      architecture: llama-3-8b
      gpu: {pool: v100}
      engine: {maxModelLen: 4096}
""") == [
        "stacks/Pulumi.dev.yaml:9:7: models[0].gpu: llama-3-8b 16-bit weights take 14.96 GiB on each of its 1 GPU(s), plus "
        "0.85 GiB of activations and buffers, but vLLM may use 14.11 GiB of a 16Gi GPU of pool 'v100' (gpuMemoryUtilization "
        "0.9 of the 15.68 GiB it reports); use gpu.pool a100 (80Gi per GPU): 448,496 KV tokens, 109.50x at 4,096; or set "
        "engine.tensorParallelSize: 2 with gpu.count: 2: 97,376 KV tokens, 23.77x at 4,096; or serve an 8-bit (FP8 or INT8) "
        "checkpoint (8.46 GiB of weights per GPU): 39,328 KV tokens, 9.60x at 4,096",
    ]  # fmt: skip


def test_an_unset_max_model_len_is_checked_at_the_models_full_context(project):
    assert problems(project, """
    - name: long
      backend: knative
      runtime: vllm
      storage: {name: models, path: llama-3.1-8b}
      architecture: llama-3.1-8b
      gpu: {pool: v100, count: 2}
      sharedMemory: 8Gi
      engine: {tensorParallelSize: 2}
""") == [
        "stacks/Pulumi.dev.yaml:11:7: models[0].engine.maxModelLen: 131,072-token sequences (unset: the model's full context) "
        "do not fit: the KV cache holds 99,744 tokens (6.09 GiB per GPU left after 7.48 GiB of weights and 0.54 GiB of "
        "activations and buffers, 64 KiB per token); use gpu.pool a100 (80Gi per GPU): 1,024,592 KV tokens, 7.82x at "
        "131,072; or set engine.tensorParallelSize: 4 with gpu.count: 4: 323,376 KV tokens, 2.47x at 131,072; or serve an "
        "8-bit (FP8 or INT8) checkpoint (4.23 GiB of weights per GPU): 152,992 KV tokens, 1.17x at 131,072; or set "
        "engine.kvCacheDtype: fp8: 199,504 KV tokens, 1.52x at 131,072; or lower engine.maxModelLen to 99,584: 99,744 KV "
        "tokens, 1.00x at 99,584",
    ]  # fmt: skip


TGI_MISTRAL = """
    - name: mistral
      backend: deployment
      runtime: tgi
      storage: {name: models, path: mistral}
      architecture: mistral-7b-v0.3
      gpu: {pool: v100}
      tgi: {quantize: awq, maxInputTokens: 30000, maxTotalTokens: 32768, maxBatchPrefillTokens: 30000}
"""


def test_tgi_below_the_concurrency_floor_is_a_located_warning(project):
    plan = resolve(stack(project, TGI_MISTRAL))
    assert plan.notes == (
        "stacks/Pulumi.dev.yaml:10:51: models[0].tgi.maxTotalTokens: only 1.82 sequences of 32,768 tokens fit in the KV "
        "cache (59,792 tokens), below environment.gpuFit.minConcurrency 4; use gpu.pool a100 (80Gi per GPU): 547,904 KV "
        "tokens, 16.72x at 32,768; or set tgi.numShard: 2 with gpu.count: 2: 171,040 KV tokens, 5.22x at 32,768; or lower "
        "tgi.maxTotalTokens (and tgi.maxInputTokens below it) to 14,848: 59,792 KV tokens, 4.03x at 14,848",
    )  # fmt: skip
    fit = plan.models[0].capacity
    assert (fit.engine, fit.gpus_per_engine, fit.kv_tokens, fit.sequence_length, fit.max_concurrency) == ("TGI", 1, 59792, 32768, 1.82)
    assert resolve(stack(project, TGI_MISTRAL, "namespace: ml-dev, gpuFit: {minConcurrency: 1.5}")).notes == ()


def test_a_model_without_facts_or_on_an_unsized_pool_is_a_warning_and_an_error_under_the_policy(project):
    models = """
    - {name: noarch, backend: deployment, runtime: vllm, storage: {name: models, path: x}, gpu: {pool: a100}}
    - {name: nomem, backend: deployment, runtime: vllm, storage: {name: models, path: x}, architecture: llama-3-8b, gpu: {pool: unsized}}
    - {name: gguf, backend: deployment, runtime: vllm, storage: {name: models, path: x}, architecture: llama-3-8b, checkpointQuantization: gguf, gpu: {pool: a100}}
"""
    missing = ("vLLM model without architecture{}: its GPU memory fit and KV-cache capacity are not checked; set architecture "
               "to a catalog name (stacks/REFERENCE.md lists them, e.g. llama-3.1-8b) or to the facts of its config.json "
               "(parameters, layers, hiddenSize, attentionHeads, kvHeads, intermediateSize, vocabSize, maxContext)")
    plan = resolve(stack(project, models))
    assert plan.notes == (
        "stacks/Pulumi.dev.yaml:4:7: models[0].architecture: " + missing.format(""),
        "stacks/Pulumi.dev.yaml:5:123: models[1].gpu.pool: pool 'unsized' declares no memoryPerGpu, so the GPU memory fit of "
        "this model is not checked; set memoryPerGpu on gpuPools 'unsized'",
        "stacks/Pulumi.dev.yaml:6:116: models[2].checkpointQuantization: the weight size of gguf checkpoints is unknown, so "
        "the GPU memory fit of this model is not checked; set quantizationBits (4 or 8)",
    )  # fmt: skip
    assert [model.capacity for model in plan.models] == [None, None, None]
    assert problems(project, models, "namespace: ml-dev, gpuFit: {missingArchitecture: error}") == [
        "stacks/Pulumi.dev.yaml:4:7: models[0].architecture: "
        + missing.format(", which environment.gpuFit.missingArchitecture: error forbids"),
    ]


def test_inline_facts_give_the_catalog_entrys_figures(project):
    inline = ("{parameters: 8030261248, layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 8, intermediateSize: 14336, "
              "vocabSize: 128256, maxContext: 8192}")
    plan = resolve(stack(project, f"""
    - {{name: catalog, backend: deployment, runtime: vllm, storage: {{name: models, path: x}}, architecture: llama-3-8b, gpu: {{pool: a100}}}}
    - {{name: inline, backend: deployment, runtime: vllm, storage: {{name: models, path: x}}, architecture: {inline}, gpu: {{pool: a100}}}}
"""))
    catalog, inline_plan = (model.capacity for model in plan.models)
    assert replace(inline_plan, architecture="llama-3-8b") == catalog
    assert (inline_plan.architecture, catalog.kv_tokens, catalog.max_concurrency) == ("inline", 444784, 54.29)


def test_every_backend_is_checked_with_its_own_parallel_layout(project):
    plan = resolve(stack(project, """
    - {name: on-kserve, format: vLLM, runtime: vllm, storage: {name: models, path: x}, architecture: llama-3-8b, gpu: {pool: a100}}
    - {name: on-knative, backend: knative, runtime: vllm, storage: {name: models, path: x}, architecture: llama-3-8b, gpu: {pool: a100}}
    - name: on-deployment
      backend: deployment
      runtime: vllm
      storage: {name: models, path: x}
      architecture: llama-3-70b
      gpu: {pool: a100, count: 4}
      sharedMemory: 16Gi
      engine: {tensorParallelSize: 4}
    - name: multi-node
      format: vLLM
      runtime: multinode
      deploymentMode: Standard
      storageUri: pvc://model-storage/llama-3-70b
      architecture: llama-3-70b
      gpu: {pool: a100, count: 8, perPod: 4}
      sharedMemory: 16Gi
    - name: on-ray
      backend: ray
      runtime: ray-llm
      storage: {name: models, path: x}
      architecture: llama-3-70b
      gpu: {pool: a100, count: 8, perPod: 4}
      sharedMemory: 16Gi
      engine: {tensorParallelSize: 4, pipelineParallelSize: 2, maxModelLen: 8192}
    - {name: on-tgi, backend: deployment, runtime: tgi, storage: {name: models, path: x}, architecture: mistral-7b-v0.3, gpu: {pool: a100, count: 2}, sharedMemory: 8Gi}
"""))
    figures = {model.name: (model.capacity.gpus_per_engine, round(model.capacity.weights_per_gpu / GIB, 2)) for model in plan.models}
    assert figures == {"on-kserve": (1, 14.96), "on-knative": (1, 14.96), "on-deployment": (4, 32.85),
                       "multi-node": (8, 16.43), "on-ray": (8, 16.43), "on-tgi": (2, 6.75)}  # fmt: skip
    annotated = {obj["metadata"]["name"]: obj["metadata"].get("annotations", {}).get("modelfleet.io/kv-cache-tokens")
                 for obj, _ in built_objects(plan) if obj["kind"] in ("InferenceService", "Service", "Deployment", "RayService")
                 and obj["apiVersion"] != "v1"}  # fmt: skip
    assert annotated == {model.name: str(model.capacity.kv_tokens) for model in plan.models}


@pytest.mark.parametrize("layout", [
    "backend: deployment, runtime: vllm, storage: {name: models, path: x}",
    "backend: knative, runtime: vllm, storage: {name: models, path: x}",
    "format: vLLM, runtime: vllm, storage: {name: models, path: x}",
    "format: vLLM, runtime: multinode, deploymentMode: Standard, storageUri: pvc://model-storage/x, gpu: {pool: v100, count: 2, perPod: 1}, sharedMemory: 8Gi",
    "backend: ray, runtime: ray-llm, storage: {name: models, path: x}, gpu: {pool: v100, count: 2, perPod: 1}, sharedMemory: 8Gi, engine: {pipelineParallelSize: 2}",
])  # fmt: skip
def test_a_70b_model_that_does_not_fit_is_an_error_on_every_backend(project, layout):
    gpu = "" if "gpu:" in layout else ", gpu: {pool: v100}"
    [found] = problems(project, f"    - {{name: big, architecture: llama-3-70b, {layout}{gpu}}}\n")
    assert "models[0].gpu: llama-3-70b 16-bit weights take" in found and "of pool 'v100'" in found
