"""`modelfleet capacity`: the GPU-fit view of each environment in its three formats, through the real command."""

from __future__ import annotations

import json

from modelfleet.cli import main
from tests.conftest import ROOT
from tests.test_gpu_fit import FIT_SHARED

STACK = """
config:
  modelfleet:environment: {namespace: ml-dev}
  modelfleet:models:
    - name: llama
      backend: deployment
      runtime: vllm
      storage: {name: models, path: llama-3-8b}
      architecture: llama-3-8b
      gpu: {pool: v100, count: 2}
      sharedMemory: 8Gi
      engine: {tensorParallelSize: 2, maxModelLen: 4096}
      scaling: {minReplicas: 1, maxReplicas: 3, metric: cpu, target: 80}
    - {name: plain, backend: deployment, runtime: vllm, storage: {name: models, path: x}, gpu: {pool: a100}}
"""


def run(project, capsys, *args: str) -> tuple[int, str, str]:
    project.write("shared.yaml", FIT_SHARED)
    project.write("Pulumi.dev.yaml", STACK)
    code = main(["capacity", *args, "--project", str(project.root)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_lists_every_gpu_model_and_warns_about_the_unchecked_one(project, capsys):
    code, out, err = run(project, capsys)
    assert code == 0
    assert out == (
        "dev:\n"
        "  model  engine  architecture  pool         GPUs/replica  weights/GPU  KV budget/GPU  KV tokens  max concurrency  replicas  GPUs at min  GPUs at max\n"
        "  llama  vLLM    llama-3-8b    v100 (16Gi)  2             7.48 GiB     5.94 GiB       97,376     23.77x at 4,096  1..3      2            6\n"
        "  plain  -       not checked   -            1             -            -              -          -                1         1            1\n"
    )  # fmt: skip
    assert err.startswith("warning: dev: stacks/Pulumi.dev.yaml:13:7: models[1].architecture: vLLM model without architecture")


def test_markdown_is_one_table_per_environment(project, capsys):
    code, out, _ = run(project, capsys, "dev", "--format", "markdown")
    assert code == 0
    assert out.splitlines() == [
        "### dev",
        "",
        "| model | engine | architecture | pool | GPUs/replica | weights/GPU | KV budget/GPU | KV tokens | max concurrency | replicas | GPUs at min | GPUs at max |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "| llama | vLLM | llama-3-8b | v100 (16Gi) | 2 | 7.48 GiB | 5.94 GiB | 97,376 | 23.77x at 4,096 | 1..3 | 2 | 6 |",
        "| plain | - | not checked | - | 1 | - | - | - | - | 1 | 1 | 1 |",
    ]


def test_json_holds_the_figures_in_bytes_and_tokens(project, capsys):
    code, out, _ = run(project, capsys, "--format", "json")
    assert code == 0
    [environment] = json.loads(out)["environments"]
    llama, plain = environment["models"]
    assert llama == {
        "model": "llama", "gpusPerReplica": 2, "minReplicas": 1, "maxReplicas": 3, "gpusAtMin": 2, "gpusAtMax": 6, "checked": True,
        "engine": "vLLM", "architecture": "llama-3-8b", "pool": "v100", "memoryPerGpu": "16Gi", "gpusPerEngine": 2,
        "weightsPerGpuBytes": 8030261248, "overheadPerGpuBytes": 739875225, "kvBudgetPerGpuBytes": 6382508147,
        "kvTokens": 97376, "maxModelLen": 4096, "maxConcurrency": 23.77,
    }  # fmt: skip
    assert plain == {"model": "plain", "gpusPerReplica": 1, "minReplicas": 1, "maxReplicas": 1, "gpusAtMin": 1, "gpusAtMax": 1, "checked": False}


def test_a_model_that_does_not_fit_fails_the_command_with_the_located_error(project, capsys):
    project.write("shared.yaml", FIT_SHARED)
    project.write("Pulumi.dev.yaml", STACK.replace("count: 2}", "count: 1}").replace("tensorParallelSize: 2, ", ""))
    assert main(["capacity", "--project", str(project.root)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("stacks/Pulumi.dev.yaml:9:7: models[0].gpu: llama-3-8b 16-bit weights take 14.96 GiB")
    assert "Traceback" not in captured.err


def test_every_example_model_on_a_gpu_is_checked(capsys):
    assert main(["capacity", "--project", str(ROOT), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    unchecked = [(env["environment"], model["model"]) for env in document["environments"] for model in env["models"] if not model["checked"]]
    assert unchecked == [("staging", "llama-70b-service")]  # its own Ray Serve application decides its parallelism
    staging = next(env for env in document["environments"] if env["environment"] == "staging")
    assert {model["model"]: model.get("gpusPerEngine") for model in staging["models"]} == {
        "granite": 1, "llama-vllm": 1, "qwen": 1, "vllm-llama": 4, "tgi-mistral": 2, "llama-70b-mn": 8, "llama-70b": 32, "llama-pd": 1,
        "llama-70b-service": None, "llama-ngram": 1, "llama-draft": 1, "qwen2-vl": 1,
    }
