"""How the serving workloads of one environment change: per workload, and the environment's GPU totals."""

from __future__ import annotations

from dataclasses import dataclass

from modelfleet.diff.object_diff import ObjectKey
from modelfleet.diff.serving import Serving


@dataclass(frozen=True)
class ServingField:
    label: str       # e.g. "GPUs at max scale", "engine --max-model-len"
    old: str | None  # None: not set on that side
    new: str | None


@dataclass(frozen=True)
class ServingChange:
    key: ObjectKey
    status: str      # added | removed | changed | unchanged
    before: Serving | None
    after: Serving | None
    fields: tuple[ServingField, ...]


@dataclass(frozen=True)
class GpuTotals:
    """GPUs of every workload together, at min and at max scale (None: some workload is unbounded)."""

    at_min: int
    at_max: int | None

    @classmethod
    def of(cls, summaries: list[Serving]) -> "GpuTotals":
        maxima = [summary.gpus_max for summary in summaries]
        return cls(sum(summary.gpus_min for summary in summaries), None if None in maxima else sum(maxima))


def show_count(value: int | None) -> str:
    return "unbounded" if value is None else str(value)


def replicas_text(summary: Serving) -> str:
    low, high = summary.replicas_min, summary.replicas_max
    return str(low) if low == high else f"{low}..{show_count(high)}"


def _joined(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """name -> value; a name given several times (e.g. --lora-modules) keeps every value, in order."""
    joined: dict[str, list[str]] = {}
    for name, value in pairs:
        joined.setdefault(name, []).append(value)
    return {name: " ".join(values) for name, values in joined.items()}


def _keyed(label: str, old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...]) -> list[ServingField]:
    before, after = _joined(old), _joined(new)
    return [ServingField(f"{label} {name}", before.get(name), after.get(name)) for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


def _describe(summary: Serving) -> list[tuple[str, str | None]]:
    return [
        ("GPUs at min scale", str(summary.gpus_min)),
        ("GPUs at max scale", show_count(summary.gpus_max)),
        ("replicas", replicas_text(summary)),
        ("backend", summary.backend),
        ("runtime", summary.runtime),
        ("runtimeVersion", summary.runtime_version),
        ("image", summary.image),
        ("storage", summary.storage),
        ("KV capacity", f"{summary.kv_tokens:,} tokens" if summary.kv_tokens is not None else None),
        ("max concurrency", f"{summary.max_concurrency}x" if summary.max_concurrency is not None else None),
    ]  # fmt: skip


def serving_fields(before: Serving | None, after: Serving | None) -> tuple[ServingField, ...]:
    """What differs between two summaries of one workload (every set field for an added or removed one)."""
    old = dict(_describe(before)) if before else {}
    new = dict(_describe(after)) if after else {}
    changed = [ServingField(label, old.get(label), new.get(label)) for label in dict(_describe(after or before)) if old.get(label) != new.get(label)]
    changed += _keyed("engine", before.engine_options if before else (), after.engine_options if after else ())
    changed += _keyed("autoscaling", before.autoscaling if before else (), after.autoscaling if after else ())
    old_traffic, new_traffic = _joined(before.traffic if before else ()), _joined(after.traffic if after else ())
    changed += [ServingField(name, old_traffic.get(name), new_traffic.get(name)) for name in sorted(set(old_traffic) | set(new_traffic)) if old_traffic.get(name) != new_traffic.get(name)]
    return tuple(changed)


def serving_changes(base: dict[ObjectKey, Serving], head: dict[ObjectKey, Serving]) -> list[ServingChange]:
    """Every workload on either side, sorted by kind, namespace and name."""
    changes = []
    for key in sorted(set(base) | set(head), key=lambda key: (key.kind, key.namespace, key.name)):
        before, after = base.get(key), head.get(key)
        fields = serving_fields(before, after)
        status = "added" if before is None else "removed" if after is None else "changed" if fields else "unchanged"
        changes.append(ServingChange(key, status, before, after, fields))
    return changes
