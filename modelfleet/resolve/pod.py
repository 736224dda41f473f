"""Merge environment.pod with a workload's own pod settings and check them against where the pods run.

Merge (the workload's own settings win): nodeSelector key by key; affinity, topologySpreadConstraints,
priorityClassName and each probe whole; tolerations and imagePullSecrets are the environment's followed by the
workload's, repeats dropped; volumes by name (the workload's replaces the environment's of the same name);
securityContext and rollout field by field. The environment's probes and rollout apply where the backend takes
them; every other setting must suit every workload it reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelfleet.plan import GpuPlacement
from modelfleet.plan.pod import ENGINE_PROBES, PodPlan, ProbePlan
from modelfleet.resolve.problems import Problems
from modelfleet.schemas.validate import core_definition_problems
from modelfleet.spec.pod import PodSettings, Probe, Probes, Rollout, SecurityContext

KUBERNETES_PROBE = ProbePlan(None, None, 10, None, 3)  # Kubernetes' own period and threshold
COMPILER_VOLUMES = ("model", "shm", "tmp")
KUBERAY = {"replaced_by": "KubeRay's upgradeStrategy (ray.upgradeStrategy) decides how it is replaced",
           "probes": "none", "probes_by": "KubeRay sets the probes of the Ray containers"}
LLM_PRESET_MOUNTS = ("/etc/ssl/certs",)  # the engine's TLS certificate (besides the model directory and /dev/shm)
KNATIVE_RESERVED_PATHS = ("/", "/dev", "/dev/log", "/tmp", "/var", "/var/log")
TGI_DATA_DIR = "/data"  # HF_HOME of the TGI image: where it downloads and converts weights


@dataclass(frozen=True)
class PodTarget:
    """Where a workload's pods run, for the checks of its pod settings."""

    what: str                          # for messages, e.g. "backend knative"
    engine: str | None                 # vllm | tgi | None (a runtime whose health endpoint is not known)
    knative: bool = False              # Knative revisions (backend knative, KServe Knative mode)
    rollout: bool = False              # rolled out by a Deployment
    replaced_by: str = "Knative rolls out revisions itself"  # without rollout: what replaces the pods, for messages
    probes: str = "all"                # all: the container is ours | overrides: KServe's runtime has the defaults | none: not ours
    probes_by: str = ""                # probes none: who sets them, for messages
    gpus: tuple[GpuPlacement, ...] = ()
    mount_paths: tuple[str, ...] = ()  # the compiler's own mounts (model directory, /dev/shm)
    mounted_by: str = "the compiler's own mount"  # whose mounts mount_paths are, for messages


def pod_settings_problems(settings: PodSettings, at: tuple, problems: Problems) -> None:
    """Affinity and topologySpreadConstraints are Kubernetes objects: checked against the Kubernetes schema."""
    if settings.affinity is not None:
        for path, message in core_definition_problems("io.k8s.api.core.v1.Affinity", settings.affinity):
            problems.add(at + ("affinity", *path), f"{message}; write a Kubernetes Affinity (nodeAffinity, podAffinity, podAntiAffinity)")
    for index, constraint in enumerate(settings.topology_spread_constraints):
        for path, message in core_definition_problems("io.k8s.api.core.v1.TopologySpreadConstraint", constraint):
            problems.add(at + ("topologySpreadConstraints", index, *path), f"{message}; write a Kubernetes TopologySpreadConstraint (maxSkew, topologyKey, whenUnsatisfiable, labelSelector)")


def _merged_fields(model_class, default, own, default_at: tuple, own_at: tuple):
    """Field-by-field merge of two optional spec objects; (merged or None, alias -> where it was written)."""
    fields: dict = {}
    origin: dict[str, tuple] = {}
    for value, at in ((default, default_at), (own, own_at)):
        if value is not None:
            written = value.model_dump(by_alias=True, exclude_unset=True)
            fields.update(written)
            origin.update({alias: at for alias in written})
    return (model_class.model_validate(fields) if fields else None), origin


def _probe(kind: str, probe: Probe, engine: str | None, at: tuple, problems: Problems) -> ProbePlan:
    base = ENGINE_PROBES[kind] if engine is not None else KUBERNETES_PROBE
    path = None if probe.tcp else (probe.path or base.path)
    if path is None and not probe.tcp:
        problems.add(at, "the image's health endpoint is not known to modelfleet; set path (HTTP GET) or tcp: true")
    return ProbePlan(path, _either(probe.initial_delay_seconds, base.initial_delay), _either(probe.period_seconds, base.period),
                     _either(probe.timeout_seconds, base.timeout), _either(probe.failure_threshold, base.failures))


def _either(value, default):
    return default if value is None else value


def _probes(default: PodSettings, own: PodSettings, default_at: tuple, own_at: tuple, target: PodTarget,
            problems: Problems) -> tuple[tuple[str, ProbePlan], ...]:
    if target.probes == "none":
        if own.probes is not None:
            problems.add(own_at + ("probes",), f"{target.probes_by} of {target.what}; remove probes")
        return ()
    probes = []
    for kind in ENGINE_PROBES:
        declared, at = getattr(own.probes, kind, None), own_at
        if declared is None:
            declared, at = getattr(default.probes, kind, None), default_at
        if declared is not None:
            probes.append((kind, _probe(kind, declared, target.engine, at + ("probes", kind), problems)))
        elif target.probes == "all" and target.engine is not None:
            probes.append((kind, ENGINE_PROBES[kind]))
    return tuple(probes)


def component_probes(probes: Probes | None, at: tuple, problems: Problems) -> tuple[tuple[str, ProbePlan], ...]:
    """The probes a KServe transformer or explainer declares at `at` (its image's health endpoint is not known)."""
    declared = PodSettings.model_validate({}).model_copy(update={"probes": probes})
    return _probes(PodSettings.model_validate({}), declared, (), at, PodTarget("a KServe component", None), problems)


def _volumes(default: PodSettings, own: PodSettings, default_at: tuple, own_at: tuple, writable_tmp: bool,
             target: PodTarget, problems: Problems):
    by_name = {volume.name: (volume, default_at + ("volumes", index)) for index, volume in enumerate(default.volumes)}
    by_name.update({volume.name: (volume, own_at + ("volumes", index)) for index, volume in enumerate(own.volumes)})
    taken = {path: target.mounted_by for path in target.mount_paths}
    if writable_tmp:
        taken["/tmp"] = "the writable /tmp of readOnlyRootFilesystem"
    for volume, at in by_name.values():
        path = volume.mount_path.rstrip("/") or "/"
        if volume.name in COMPILER_VOLUMES:
            problems.add(at + ("name",), f"volume name {volume.name} is the compiler's own ({', '.join(COMPILER_VOLUMES)}); choose another name")
        if target.knative and path in KNATIVE_RESERVED_PATHS:
            problems.add(at + ("mountPath",), f"Knative reserves {path} and refuses its pods with a mount there; mount the volume elsewhere")
        elif path in taken:
            problems.add(at + ("mountPath",), f"{path} is already mounted ({taken[path]}); mount the volume elsewhere")
        taken.setdefault(path, f"volume {volume.name}")
    return tuple(volume for volume, _ in by_name.values())


def _security(security: SecurityContext | None, origin: dict, volumes, target: PodTarget, problems: Problems) -> None:
    if security is None:
        return
    if security.run_as_non_root and security.run_as_user is None and target.engine is not None:
        problems.add(origin["runAsNonRoot"] + ("securityContext", "runAsNonRoot"), f"the {target.engine} image runs as root (it sets no user), so the pod would not start; set runAsUser (e.g. 1000) with runAsNonRoot")
    if security.read_only_root_filesystem:
        at = origin["readOnlyRootFilesystem"] + ("securityContext", "readOnlyRootFilesystem")
        if target.knative:
            problems.add(at, f"the engine needs a writable /tmp, which Knative reserves, so {target.what} cannot run with a read-only root filesystem; remove readOnlyRootFilesystem")
        elif target.engine == "tgi" and not any(volume.mount_path.rstrip("/") == TGI_DATA_DIR for volume in volumes):
            problems.add(at, f"TGI writes weights to {TGI_DATA_DIR}; mount a volume there (e.g. a PVC as hub cache) or remove readOnlyRootFilesystem")


def resolve_pod(default: PodSettings, own: PodSettings, default_at: tuple, own_at: tuple, target: PodTarget,
                problems: Problems) -> PodPlan:
    """The merged pod settings of one workload; problems where the settings do not suit its pods."""
    selector = {**default.node_selector, **own.node_selector}
    for key, value in selector.items():
        at = (own_at if key in own.node_selector else default_at) + ("nodeSelector", key)
        for gpu in target.gpus:
            required = dict(gpu.node_selector).get(key)
            if required is not None and required != value:
                problems.add(at, f"the GPU pool selects {key}={required}; {value} would leave the pods unschedulable; remove the key or use another GPU pool")
    tolerations = [toleration.model_dump(by_alias=True, exclude_none=True) for toleration in (*default.tolerations, *own.tolerations)]
    security, security_origin = _merged_fields(SecurityContext, default.security_context, own.security_context, default_at, own_at)
    rollout, _ = _merged_fields(Rollout, default.rollout, own.rollout, default_at, own_at)
    if not target.rollout:
        if own.rollout is not None:
            problems.add(own_at + ("rollout",), f"rollout is for pods of a Deployment; {target.what} is not ({target.replaced_by}); remove rollout")
        rollout = None
    writable_tmp = bool(security and security.read_only_root_filesystem)
    volumes = _volumes(default, own, default_at, own_at, writable_tmp, target, problems)
    _security(security, security_origin, volumes, target, problems)
    return PodPlan(
        node_selector=tuple(sorted(selector.items())),
        affinity=own.affinity if own.affinity is not None else default.affinity,
        tolerations=tuple(toleration for index, toleration in enumerate(tolerations) if toleration not in tolerations[:index]),
        topology_spread=tuple(own.topology_spread_constraints or default.topology_spread_constraints),
        priority_class_name=own.priority_class_name or default.priority_class_name,
        image_pull_secrets=tuple(dict.fromkeys((*default.image_pull_secrets, *own.image_pull_secrets))),
        volumes=volumes,
        security=security,
        probes=_probes(default, own, default_at, own_at, target, problems),
        rollout=rollout,
    )


def model_pod_target(backend: str, mode: str, engine: str | None, gpus: tuple[GpuPlacement, ...], model_dir: str) -> PodTarget:
    """Where the pods of a model run (on the GPU pools `gpus`): what its backend and deployment mode let pod settings do."""
    own_mounts = (model_dir, "/dev/shm")
    if backend == "kserve":
        return PodTarget(f"an InferenceService in {mode} mode", engine, knative=mode == "Knative", rollout=mode == "Standard",
                         probes="overrides", gpus=gpus, mount_paths=own_mounts)
    if backend == "ray":  # Ray images run as the ray user: no engine-image rule applies
        return PodTarget("a RayService", None, gpus=gpus, mount_paths=own_mounts, **KUBERAY)
    if backend == "llm":
        return PodTarget("an LLMInferenceService", engine, replaced_by="KServe creates its Deployment or LeaderWorkerSet, and the LLMInferenceService has no strategy field",
                         probes="none", probes_by="KServe's llm presets set the probes of the main container (HTTPS, on port 8001 behind the decode pods' routing sidecar)",
                         gpus=gpus, mount_paths=own_mounts + LLM_PRESET_MOUNTS, mounted_by="KServe's llm presets mount it")
    return PodTarget(f"backend {backend}", engine, knative=backend == "knative", rollout=backend == "deployment",
                     gpus=gpus, mount_paths=own_mounts)


def model_pod(model, environment, mode: str, engine: str | None, gpus: tuple[GpuPlacement, ...], model_dir: str, at: tuple,
              problems: Problems) -> PodPlan:
    """The pod settings of a model (environment.pod under models[].pod) whose pods run on the GPU pools `gpus`."""
    pod_settings_problems(model.pod, at + ("pod",), problems)
    target = model_pod_target(model.backend, mode, engine, gpus, model_dir)
    return resolve_pod(environment.pod, model.pod, ("environment", "pod"), at + ("pod",), target, problems)
