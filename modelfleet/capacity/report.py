"""`modelfleet capacity`: the GPU-fit estimate of every model of compiled environments, as text, Markdown or JSON.

Read from the plans (modelfleet/resolve/gpu_fit.py made the figures); one row per model with GPUs.
"""

from __future__ import annotations

import json

from modelfleet.compile import CompiledEnvironment
from modelfleet.plan import ModelPlan
from modelfleet.resolve.gpu_fit import GIB

COLUMNS = ("model", "engine", "architecture", "pool", "GPUs/replica", "weights/GPU", "KV budget/GPU", "KV tokens",
           "max concurrency", "replicas", "GPUs at min", "GPUs at max")  # fmt: skip
NOT_CHECKED = "not checked"


def _replicas(model: ModelPlan) -> str:
    return str(model.min_replicas) if model.min_replicas == model.max_replicas else f"{model.min_replicas}..{model.max_replicas}"


def _row(model: ModelPlan) -> tuple[str, ...]:
    gpus = model.gpu.count
    scale = (_replicas(model), str(gpus * model.min_replicas), str(gpus * model.max_replicas))
    fit = model.capacity
    if fit is None:
        return (model.name, "-", NOT_CHECKED, "-", str(gpus), "-", "-", "-", "-", *scale)
    return (
        model.name, fit.engine, fit.architecture, f"{fit.pool} ({fit.memory_per_gpu})", str(gpus),
        f"{fit.weights_per_gpu / GIB:.2f} GiB", f"{fit.kv_budget_per_gpu / GIB:.2f} GiB", f"{fit.kv_tokens:,}",
        f"{fit.max_concurrency:.2f}x at {fit.sequence_length:,}", *scale,
    )  # fmt: skip


def _models(item: CompiledEnvironment) -> list[ModelPlan]:
    return [model for model in item.plan.models if model.gpu is not None]


def text_report(compiled: list[CompiledEnvironment]) -> str:
    blocks = []
    for item in compiled:
        rows = [COLUMNS, *(_row(model) for model in _models(item))]
        widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
        lines = [f"{item.env}:"] + ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        blocks.append("\n".join(lines if len(rows) > 1 else [f"{item.env}: no GPU models"]))
    return "\n\n".join(blocks)


def markdown_report(compiled: list[CompiledEnvironment]) -> str:
    lines = []
    for item in compiled:
        lines += [f"### {item.env}", ""]
        models = _models(item)
        if not models:
            lines += ["No GPU models.", ""]
            continue
        lines += ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
        lines += ["| " + " | ".join(_row(model)) + " |" for model in models] + [""]
    return "\n".join(lines).rstrip()


def _model_json(model: ModelPlan) -> dict:
    fit = model.capacity
    found: dict = {"model": model.name, "gpusPerReplica": model.gpu.count, "minReplicas": model.min_replicas,
                   "maxReplicas": model.max_replicas, "gpusAtMin": model.gpu.count * model.min_replicas,
                   "gpusAtMax": model.gpu.count * model.max_replicas, "checked": fit is not None}
    if fit is not None:
        found.update({
            "engine": fit.engine, "architecture": fit.architecture, "pool": fit.pool, "memoryPerGpu": fit.memory_per_gpu,
            "gpusPerEngine": fit.gpus_per_engine, "weightsPerGpuBytes": fit.weights_per_gpu,
            "overheadPerGpuBytes": fit.overhead_per_gpu, "kvBudgetPerGpuBytes": fit.kv_budget_per_gpu,
            "kvTokens": fit.kv_tokens, "maxModelLen": fit.sequence_length, "maxConcurrency": fit.max_concurrency,
        })  # fmt: skip
    return found


def json_report(compiled: list[CompiledEnvironment]) -> str:
    document = {"environments": [{"environment": item.env, "models": [_model_json(model) for model in _models(item)]} for item in compiled]}
    return json.dumps(document, indent=2)


def render(compiled: list[CompiledEnvironment], output_format: str) -> str:
    if output_format == "markdown":
        return markdown_report(compiled)
    if output_format == "json":
        return json_report(compiled)
    return text_report(compiled)
