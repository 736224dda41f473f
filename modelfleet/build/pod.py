"""Pieces every pod template shares: resources with GPUs, scheduling (the GPU pool's and the pod settings'),
/dev/shm, the model volume, extra volumes, security context and probes."""

from __future__ import annotations

import copy

from modelfleet.plan import MODEL_DIR, GpuPlacement
from modelfleet.plan.pod import NO_POD_SETTINGS, PodPlan, ProbePlan
from modelfleet.spec.model import Resources
from modelfleet.spec.pod import Rollout

SHM_VOLUME = "shm"
MODEL_VOLUME = "model"
TMP_VOLUME = "tmp"


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


def pod_scheduling(gpu: GpuPlacement | None, pod: PodPlan) -> dict:
    """nodeSelector, affinity, tolerations, topologySpreadConstraints and priorityClassName: the GPU pool's and the pod
    settings' (resolve/pod.py has checked that their node selectors agree)."""
    scheduling = gpu_scheduling(gpu)
    selector = {**scheduling.get("nodeSelector", {}), **dict(pod.node_selector)}
    if selector:
        scheduling["nodeSelector"] = dict(sorted(selector.items()))
    if pod.affinity is not None:
        scheduling["affinity"] = copy.deepcopy(pod.affinity)
    tolerations = scheduling.get("tolerations", [])
    tolerations += [dict(toleration) for toleration in pod.tolerations if toleration not in tolerations]
    if tolerations:
        scheduling["tolerations"] = tolerations
    if pod.topology_spread:
        scheduling["topologySpreadConstraints"] = copy.deepcopy(list(pod.topology_spread))
    if pod.priority_class_name is not None:
        scheduling["priorityClassName"] = pod.priority_class_name
    return scheduling


def image_pull_secrets(pod: PodPlan, *more: str | None) -> list[dict]:
    """imagePullSecrets of a pod: the pod settings' and `more` (e.g. the OCI model registry's), once each."""
    names = dict.fromkeys(name for name in (*pod.image_pull_secrets, *more) if name is not None)
    return [{"name": name} for name in names]


def pod_fields(gpu: GpuPlacement | None, pod: PodPlan, *pull_secrets: str | None) -> dict:
    """The pod-level fields every backend takes from the pod settings: image pull secrets (with `pull_secrets`),
    scheduling and the pod securityContext."""
    fields: dict = {}
    pulls = image_pull_secrets(pod, *pull_secrets)
    if pulls:
        fields["imagePullSecrets"] = pulls
    fields.update(pod_scheduling(gpu, pod))
    security = pod_security(pod)
    if security:
        fields["securityContext"] = security
    return fields


def pod_security(pod: PodPlan) -> dict:
    """The pod-level securityContext: fsGroup (the rest is the container's, which Knative allows without flags)."""
    security = pod.security
    return {"fsGroup": security.fs_group} if security is not None and security.fs_group is not None else {}


def container_security(pod: PodPlan) -> dict:
    security = pod.security
    if security is None:
        return {}
    fields = {
        "runAsNonRoot": security.run_as_non_root,
        "runAsUser": security.run_as_user,
        "runAsGroup": security.run_as_group,
        "readOnlyRootFilesystem": security.read_only_root_filesystem,
        "allowPrivilegeEscalation": security.allow_privilege_escalation,
    }
    rendered = {key: value for key, value in fields.items() if value is not None}
    if security.drop_all_capabilities:
        rendered["capabilities"] = {"drop": ["ALL"]}
    if security.seccomp_profile is not None:
        rendered["seccompProfile"] = {"type": security.seccomp_profile}
    return rendered


def home_env(pod: PodPlan, env: list[dict]) -> list[dict]:
    """HOME=/tmp on a read-only root filesystem (the engines and Ray cache under HOME), unless env sets HOME."""
    if pod.writable_tmp and not any(variable["name"] == "HOME" for variable in env):
        return [{"name": "HOME", "value": "/tmp"}]
    return []


def shared_memory_volume(size: str) -> tuple[dict, dict]:
    """(volume, mount) of an in-memory /dev/shm of `size`."""
    return ({"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": size}},
            {"name": SHM_VOLUME, "mountPath": "/dev/shm"})


def model_claim_volume(claim: str, model_dir: str = MODEL_DIR) -> tuple[dict, dict]:
    """(volume, mount) of the model PVC, read-only at `model_dir`."""
    return ({"name": MODEL_VOLUME, "persistentVolumeClaim": {"claimName": claim, "readOnly": True}},
            {"name": MODEL_VOLUME, "mountPath": model_dir, "readOnly": True})


def _settings_volumes(pod: PodPlan) -> list[tuple[dict, dict]]:
    pairs = []
    for volume in pod.volumes:
        read_only = volume.mounted_read_only
        if volume.pvc is not None:
            source: dict = {"claimName": volume.pvc}
            if read_only:
                source["readOnly"] = True
        elif volume.empty_dir is not None:
            source = volume.empty_dir.model_dump(by_alias=True, exclude_none=True)
        else:
            source = {"name": volume.config_map} if volume.config_map is not None else {"secretName": volume.secret}
        mount: dict = {"name": volume.name, "mountPath": volume.mount_path}
        if volume.sub_path is not None:
            mount["subPath"] = volume.sub_path
        if read_only:
            mount["readOnly"] = True
        pairs.append(({"name": volume.name, volume.source: source}, mount))
    if pod.writable_tmp:
        pairs.append(({"name": TMP_VOLUME, "emptyDir": {}}, {"name": TMP_VOLUME, "mountPath": "/tmp"}))
    return pairs


def pod_volumes(shared_memory: str | None, claim: str | None, pod: PodPlan = NO_POD_SETTINGS,
                model_dir: str = MODEL_DIR) -> tuple[list[dict], list[dict]]:
    """(volumes, mounts): the model PVC, /dev/shm, then the pod settings' volumes and the writable /tmp."""
    pairs = []
    if claim is not None:
        pairs.append(model_claim_volume(claim, model_dir))
    if shared_memory is not None:
        pairs.append(shared_memory_volume(shared_memory))
    pairs.extend(_settings_volumes(pod))
    return [volume for volume, _ in pairs], [mount for _, mount in pairs]


def probe(plan: ProbePlan, port: int | str) -> dict:
    """A probe on `port`: HTTP GET of plan.path, or a TCP connection."""
    rendered: dict = {"httpGet": {"path": plan.path, "port": port}} if plan.path is not None else {"tcpSocket": {"port": port}}
    if plan.initial_delay is not None:
        rendered["initialDelaySeconds"] = plan.initial_delay
    rendered["periodSeconds"] = plan.period
    if plan.timeout is not None:
        rendered["timeoutSeconds"] = plan.timeout
    rendered["failureThreshold"] = plan.failures
    return rendered


def container_probes(pod: PodPlan, port: int | str) -> dict:
    """readinessProbe, startupProbe and livenessProbe the pod settings resolved to."""
    return {f"{kind}Probe": probe(plan, port) for kind, plan in pod.probes}


def rolling_update(rollout: Rollout) -> dict:
    """A RollingUpdate strategy (Deployment.spec.strategy, InferenceService predictor.deploymentStrategy)."""
    limits = {"maxSurge": rollout.max_surge, "maxUnavailable": rollout.max_unavailable}
    return {"type": "RollingUpdate", "rollingUpdate": {key: value for key, value in limits.items() if value is not None}}
