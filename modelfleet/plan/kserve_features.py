"""The resolved KServe serving features of one model (modelfleet/resolve/kserve_features.py makes them)."""

from __future__ import annotations

from dataclasses import dataclass

from modelfleet.plan.engine_container import EngineContainer
from modelfleet.plan.pod import ProbePlan
from modelfleet.spec.env import EnvVar
from modelfleet.spec.kserve_features import Batcher, Explainer, Transformer

CANARY_TRAFFIC_PERCENT = "canaryTrafficPercent"  # Knative mode: KServe splits between the latest and the last ready revision
CANARY_LIST = "canary"                          # Standard mode, KServe 0.20+: spec.canary[] of named predictors
KNATIVE_TRAFFIC = "traffic"                     # backend knative: spec.traffic between the stable revision and the latest
STABLE_TAG = "stable"                           # backend knative: the traffic tag of the stable revision
REVISION_HASH_LENGTH = 8                        # backend knative: hex digits of a revision name, <model>-<hash>


@dataclass(frozen=True)
class CanaryPlan:
    """The new revision: its own model source, runtimeVersion, arguments and environment."""

    name: str
    traffic_percent: int
    style: str                         # CANARY_TRAFFIC_PERCENT | CANARY_LIST (kserve) | KNATIVE_TRAFFIC (knative)
    runtime_version: str | None
    storage_uri: str | None            # None (and no storage_key): the model's own
    storage_key: tuple[str, str] | None
    service_account_name: str | None   # of the canary's own storage
    image_pull_secret: str | None
    args: tuple[str, ...]
    env: tuple[EnvVar, ...]
    container: EngineContainer | None = None  # backend knative: the engine container of the new revision


@dataclass(frozen=True)
class LoggerPlan:
    mode: str
    url: str | None
    metadata_headers: tuple[str, ...]
    metadata_annotations: tuple[str, ...]
    storage: dict | None               # KServe's logger storage block (path, key, parameters, serviceAccountName)


@dataclass(frozen=True)
class KserveFeaturesPlan:
    canary: CanaryPlan | None = None
    transformer: Transformer | None = None
    explainer: Explainer | None = None
    logger: LoggerPlan | None = None
    batcher: Batcher | None = None
    labels: tuple[tuple[str, str], ...] = ()       # auth (OpenShift AI, Standard mode)
    annotations: tuple[tuple[str, str], ...] = ()  # auth (OpenShift AI, Knative mode), Prometheus scraping
    transformer_probes: tuple[tuple[str, ProbePlan], ...] = ()  # the component's own (they take the rest of model.pod)
    explainer_probes: tuple[tuple[str, ProbePlan], ...] = ()


NO_KSERVE_FEATURES = KserveFeaturesPlan()
