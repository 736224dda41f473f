"""Pod settings: scheduling, pull secrets, volumes, security context, probes and rollout of a model's pods.

Written per model (models[].pod) and as environment-wide defaults (environment.pod, also read by rayClusters);
resolve/pod.py merges the two, the model winning (README "Pod settings").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, model_validator

from modelfleet.spec.base import Dns1123Label, ObjectName, Quantity, SpecModel
from modelfleet.spec.gpu_pool import Toleration

AbsolutePath = Annotated[str, Field(pattern=r"^/[^\s]*$")]
IntOrPercent = Annotated[
    Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=r"^[0-9]+%$")],
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+%$"}]}),
]

KubernetesAffinity = Annotated[
    dict[str, Any],
    WithJsonSchema({"type": "object", "description": "A Kubernetes core/v1 Affinity (nodeAffinity, podAffinity, podAntiAffinity)."}),
]
KubernetesTopologySpread = Annotated[
    dict[str, Any],
    WithJsonSchema({"type": "object", "description": "A Kubernetes core/v1 TopologySpreadConstraint."}),
]


class EmptyDir(SpecModel):
    """A scratch volume that lives as long as the pod."""

    medium: Literal["Memory"] | None = Field(None, description="Memory: a tmpfs counted against the container's memory; default the node's disk.")
    size_limit: Quantity | None = Field(None, description="Most it may hold, e.g. 10Gi.")


class Volume(SpecModel):
    """A volume mounted into the serving container: an existing PVC, ConfigMap or Secret, or an emptyDir."""

    name: Dns1123Label = Field(description="Volume name (model, shm and tmp are the compiler's own).")
    mount_path: AbsolutePath = Field(description="Where the container sees it, e.g. /data.")
    sub_path: str | None = Field(None, min_length=1, description="Mount only this path inside the volume.")
    read_only: bool = Field(
        False, description="Mount read-only. ConfigMap and Secret volumes are always read-only."
    )
    pvc: ObjectName | None = Field(None, description="claimName of an existing PersistentVolumeClaim in the namespace.")
    config_map: ObjectName | None = Field(None, description="Name of a ConfigMap in the namespace.")
    secret: ObjectName | None = Field(None, description="Name of a Secret in the namespace.")
    empty_dir: EmptyDir | None = Field(None, description="A scratch directory for the pod's lifetime.")

    @model_validator(mode="after")
    def _one_source(self) -> "Volume":
        sources = [alias for name, alias, _ in _SOURCES if getattr(self, name) is not None]
        if len(sources) != 1:
            found = f"found {', '.join(sources)}" if sources else "found none"
            raise ValueError(f"set exactly one source of pvc, configMap, secret or emptyDir ({found})")
        return self

    @property
    def source(self) -> str:
        """The Kubernetes volume source key: persistentVolumeClaim, configMap, secret or emptyDir."""
        return next(key for name, _, key in _SOURCES if getattr(self, name) is not None)

    @property
    def mounted_read_only(self) -> bool:
        return self.read_only or self.config_map is not None or self.secret is not None


_SOURCES = (
    ("pvc", "pvc", "persistentVolumeClaim"), ("config_map", "configMap", "configMap"),
    ("secret", "secret", "secret"), ("empty_dir", "emptyDir", "emptyDir"),
)
"""(field, alias, Kubernetes volume source key) of each volume source."""


class Probe(SpecModel):
    """One probe of the serving container. Unset fields keep the engine's default (vLLM and TGI: GET /health on the
    serving port); on runtimes without a known health endpoint set path or tcp."""

    path: Annotated[str, Field(pattern=r"^/[^\s]*$")] | None = Field(None, description="HTTP GET path, e.g. /health.")
    tcp: bool = Field(False, description="Probe by opening a TCP connection to the serving port instead of HTTP GET.")
    initial_delay_seconds: int | None = Field(None, ge=0, description="Seconds before the first probe.")
    period_seconds: int | None = Field(None, ge=1, description="Seconds between probes.")
    timeout_seconds: int | None = Field(None, ge=1, description="Seconds a probe may take.")
    failure_threshold: int | None = Field(
        None, ge=1, description="Failures in a row that count: not ready, restart (liveness) or give up starting "
        "(startup: periodSeconds x failureThreshold is the time the model has to load).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> "Probe":
        if self.tcp and self.path is not None:
            raise ValueError("path is for HTTP probes; remove path or tcp")
        return self


class Probes(SpecModel):
    """Readiness, startup and liveness probes of the serving container."""

    readiness: Probe | None = Field(
        None, description="When the pod takes traffic. Engine default: GET /health, 5s delay, every 10s, 3 failures."
    )
    startup: Probe | None = Field(
        None,
        description="How long the model may take to load before liveness starts. Engine default: GET /health every "
        "10s, 180 failures (30 minutes: large models load for many minutes).",
    )
    liveness: Probe | None = Field(
        None, description="When a hung engine is restarted. Engine default: GET /health every 30s, 5s timeout, 3 failures."
    )


class SecurityContext(SpecModel):
    """Security settings of the serving container (fsGroup: of the pod)."""

    run_as_non_root: bool | None = Field(None, description="Refuse to start as root. The vLLM and TGI images have no user: set runAsUser with it.")
    run_as_user: int | None = Field(None, ge=0, description="UID the container runs as.")
    run_as_group: int | None = Field(None, ge=0, description="GID the container runs as.")
    fs_group: int | None = Field(None, ge=0, description="Group owning the pod's volumes (pod securityContext).")
    read_only_root_filesystem: bool | None = Field(
        None,
        description="Read-only root filesystem. The compiler mounts a writable emptyDir at /tmp and sets HOME=/tmp for "
        "the engines' caches; TGI also needs a volume at /data. Not on Knative pods (Knative reserves /tmp).",
    )
    allow_privilege_escalation: bool | None = Field(None, description="false forbids gaining privileges (setuid).")
    drop_all_capabilities: bool = Field(False, description="Drop every Linux capability (capabilities.drop: [ALL]).")
    seccomp_profile: Literal["RuntimeDefault"] | None = Field(None, description="RuntimeDefault: the container runtime's seccomp filter.")


class Rollout(SpecModel):
    """How a Deployment replaces pods on a change (RollingUpdate). Unset: Kubernetes' default, maxSurge 25% (rounded up:
    one extra pod, so spare GPUs for it) and maxUnavailable 25% (rounded down: none down)."""

    max_surge: IntOrPercent | None = Field(
        None, description="Extra pods during a rollout; 0 rolls without spare GPUs (a pod stops before its successor starts)."
    )
    max_unavailable: IntOrPercent | None = Field(
        None, description="Pods that may be down during a rollout; needs to be at least 1 when maxSurge is 0."
    )

    @model_validator(mode="after")
    def _progress(self) -> "Rollout":
        if self.max_surge in (0, "0%") and self.max_unavailable in (None, 0, "0%"):
            raise ValueError("maxSurge 0 needs maxUnavailable of at least 1, or the rollout never starts; set maxUnavailable: 1")
        return self


class PodSettings(SpecModel):
    """Scheduling, image pull secrets, volumes, security, probes and rollout of a model's pods, on every backend."""

    node_selector: dict[str, str] = Field(
        default_factory=dict, description="Node labels the pods must match, besides the GPU pool's (a key both set must agree)."
    )
    affinity: KubernetesAffinity | None = Field(
        None, description="A Kubernetes Affinity (nodeAffinity, podAffinity, podAntiAffinity), checked against the Kubernetes schema."
    )
    tolerations: list[Toleration] = Field(default_factory=list, description="Taints to tolerate besides the GPU pool's.")
    topology_spread_constraints: list[KubernetesTopologySpread] = Field(
        default_factory=list, description="Kubernetes TopologySpreadConstraints, checked against the Kubernetes schema."
    )
    priority_class_name: ObjectName | None = Field(None, description="PriorityClass of the pods.")
    image_pull_secrets: list[ObjectName] = Field(
        default_factory=list, description="Secrets for pulling the runtime and engine images from private registries."
    )
    volumes: list[Volume] = Field(default_factory=list, description="Extra volumes mounted into the serving container.")
    security_context: SecurityContext | None = Field(None, description="Non-root user, read-only root filesystem and the like.")
    probes: Probes | None = Field(None, description="Readiness, startup and liveness probes (engine defaults for vLLM and TGI).")
    rollout: Rollout | None = Field(
        None, description="Rolling update of Deployments (backend deployment, Standard-mode InferenceServices)."
    )
