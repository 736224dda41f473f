"""The pod settings of one workload after environment defaults and the model's own are merged (resolve/pod.py)."""

from __future__ import annotations

from dataclasses import dataclass

from modelfleet.spec.pod import Rollout, SecurityContext, Volume


@dataclass(frozen=True)
class ProbePlan:
    """A probe of the serving container on its serving port: HTTP GET of path, or a TCP connection when path is None."""

    path: str | None
    initial_delay: int | None
    period: int
    timeout: int | None
    failures: int


@dataclass(frozen=True)
class PodPlan:
    node_selector: tuple[tuple[str, str], ...] = ()   # besides the GPU pool's
    affinity: dict | None = None
    tolerations: tuple[dict, ...] = ()                # besides the GPU pool's
    topology_spread: tuple[dict, ...] = ()
    priority_class_name: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    volumes: tuple[Volume, ...] = ()
    security: SecurityContext | None = None
    probes: tuple[tuple[str, ProbePlan], ...] = ()    # (readiness | startup | liveness, probe) to emit
    rollout: Rollout | None = None

    @property
    def writable_tmp(self) -> bool:
        """A read-only root filesystem gets a writable /tmp (and HOME there) for the engines' and Ray's files."""
        return self.security is not None and bool(self.security.read_only_root_filesystem)


NO_POD_SETTINGS = PodPlan()

HEALTH_PATH = "/health"  # vLLM's and TGI's servers answer it once the model is loaded
ENGINE_PROBES = {
    "readiness": ProbePlan(HEALTH_PATH, 5, 10, None, 3),
    "startup": ProbePlan(HEALTH_PATH, None, 10, None, 180),   # 30 minutes to load the model: large ones take many
    "liveness": ProbePlan(HEALTH_PATH, None, 30, 5, 3),
}
"""The probes of vLLM and TGI containers unless pod settings change them."""
