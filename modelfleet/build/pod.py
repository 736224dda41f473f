"""Pieces every pod template shares: resources with GPUs, GPU scheduling, /dev/shm, the model volume, probes."""

from __future__ import annotations

from modelfleet.plan import MODEL_DIR, SERVING_PORT, GpuPlacement
from modelfleet.spec.model import Resources

SHM_VOLUME = "shm"
MODEL_VOLUME = "model"
HEALTH_PATH = "/health"  # vLLM's and TGI's OpenAI-compatible servers both answer it once the model is loaded


def container_resources(resources: Resources, gpu: GpuPlacement | None, gpus: int | None = None) -> dict:
    """requests/limits with CPU and memory as declared and `gpus` (default gpu.per_pod) GPUs, requests equal to limits."""
    rendered: dict = {}
    for section in ("requests", "limits"):
        amounts = getattr(resources, section)
        values = {name: getattr(amounts, name) for name in ("cpu", "memory") if getattr(amounts, name) is not None}
        if gpu is not None:
            values[gpu.resource_name] = str(gpu.per_pod if gpus is None else gpus)
        if values:
            rendered[section] = values
    return rendered


def gpu_scheduling(gpu: GpuPlacement | None) -> dict:
    """nodeSelector and tolerations that land a pod on the GPU pool."""
    scheduling: dict = {}
    if gpu is not None:
        if gpu.node_selector:
            scheduling["nodeSelector"] = dict(gpu.node_selector)
        if gpu.tolerations:
            scheduling["tolerations"] = [dict(toleration) for toleration in gpu.tolerations]
    return scheduling


def shared_memory_volume(size: str) -> tuple[dict, dict]:
    """(volume, mount) of an in-memory /dev/shm of `size`."""
    return ({"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": size}},
            {"name": SHM_VOLUME, "mountPath": "/dev/shm"})


def model_claim_volume(claim: str) -> tuple[dict, dict]:
    """(volume, mount) of the model PVC, read-only at MODEL_DIR."""
    return ({"name": MODEL_VOLUME, "persistentVolumeClaim": {"claimName": claim, "readOnly": True}},
            {"name": MODEL_VOLUME, "mountPath": MODEL_DIR, "readOnly": True})


def pod_volumes(shared_memory: str | None, claim: str | None) -> tuple[list[dict], list[dict]]:
    """(volumes, mounts) for the optional /dev/shm and model PVC."""
    pairs = []
    if claim is not None:
        pairs.append(model_claim_volume(claim))
    if shared_memory is not None:
        pairs.append(shared_memory_volume(shared_memory))
    return [volume for volume, _ in pairs], [mount for _, mount in pairs]


def http_probe(port: int | str = SERVING_PORT, *, period: int, failures: int, initial_delay: int | None = None) -> dict:
    probe: dict = {"httpGet": {"path": HEALTH_PATH, "port": port}}
    if initial_delay is not None:
        probe["initialDelaySeconds"] = initial_delay
    probe.update({"periodSeconds": period, "failureThreshold": failures})
    return probe
