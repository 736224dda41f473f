"""KServe's per-service serving features (seed 001): canary rollouts, transformer and explainer components,
request/response logging, batching, authentication and metrics, declared as intent and compiled per deployment
mode, KServe version and platform (modelfleet/resolve/kserve_features.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from modelfleet.spec.base import Dns1035Label, SpecModel, Version
from modelfleet.spec.engine import EngineOptions
from modelfleet.spec.env import EnvVar
from modelfleet.spec.model import STORAGE_URI_SCHEMES, Resources, StorageRef
from modelfleet.spec.pod import Probes

COMPONENT_PROBES = ("Probes of the container on port 8080. The model's probes are the engine's and the image's health "
                    "endpoint is not known, so none by default; each probe needs path or tcp: true.")


class Canary(SpecModel):
    """The next revision of a model, served to trafficPercent of its requests beside the current one. Each field set
    here replaces the model's own for the new revision; to promote, move them into the model and remove canary.
    Backend knative: the Service's template becomes the new revision and spec.traffic sends the rest of the requests to
    the revision of the model's own settings (tag stable), named `<model>-<hash of its template>`: the revision the
    Service ran before the canary, so declare a canary without changing the model's own settings in the same change."""

    traffic_percent: int = Field(ge=0, le=100, description="Percent of requests the new revision serves, 0..100; the "
                                 "stable revision serves the rest.")
    name: Dns1035Label = Field(
        "canary",
        description="Name of the new revision: the canary predictor's name (KServe Standard mode, spec.canary) or the "
        "traffic tag of its URL (backend knative: <name>-<model>.<namespace>...; not stable, the tag of the rest).",
    )
    runtime_version: Version | None = Field(None, description="runtimeVersion of the new revision (kserve backend).")
    storage: StorageRef | None = Field(None, description="Model files of the new revision; default the model's.")
    storage_uri: str | None = Field(None, description="Or a full storageUri for the new revision (backend knative: pvc:// or hf://).")
    engine: EngineOptions | None = Field(None, description="vLLM engine options of the new revision (replace the model's).")
    args: list[str] | None = Field(None, description="Arguments of the new revision (builtin runtimes; replace the model's).")
    env: list[EnvVar] | None = Field(None, description="Extra environment of the new revision (replaces the model's).")

    @model_validator(mode="after")
    def _source(self) -> "Canary":
        if self.storage is not None and self.storage_uri is not None:
            raise ValueError("set at most one of storage or storageUri (neither keeps the model's)")
        if self.storage_uri is not None and not self.storage_uri.startswith(STORAGE_URI_SCHEMES):
            raise ValueError(f"storageUri must start with one of {', '.join(STORAGE_URI_SCHEMES)}")
        return self


class ComponentScaling(SpecModel):
    """Replicas of a transformer or explainer (they scale on their own, on request concurrency in Knative mode)."""

    min_replicas: int = Field(1, ge=0, description="Minimum replicas; 0 scales to zero (Knative mode only).")
    max_replicas: int | None = Field(None, ge=1, description="Maximum replicas; default minReplicas (at least 1).")

    @model_validator(mode="after")
    def _bounds(self) -> "ComponentScaling":
        if self.max_replicas is not None and self.max_replicas < self.min_replicas:
            raise ValueError(f"maxReplicas {self.max_replicas} is below minReplicas {self.min_replicas}; raise maxReplicas or lower minReplicas")
        return self


class Transformer(SpecModel):
    """A pre/post-processing container in front of the predictor (KServe has no builtin transformer)."""

    image: str = Field(min_length=1, description="Image of the transformer container, pinned by tag or digest.")
    command: list[str] = Field(default_factory=list, description="Entrypoint; default the image's.")
    args: list[str] = Field(default_factory=list, description="Arguments; KServe adds --model_name and --predictor_host itself.")
    env: list[EnvVar] = Field(default_factory=list, description="Environment of the container.")
    resources: Resources = Field(default_factory=Resources, description="CPU and memory requests and limits.")
    scaling: ComponentScaling = Field(default_factory=ComponentScaling, description="Replicas of the transformer.")
    probes: Probes | None = Field(None, description=COMPONENT_PROBES)


class ArtExplainer(SpecModel):
    """KServe's builtin ART explainer (adversarial robustness)."""

    type: Literal["SquareAttack"] = Field(description="The ART attack KServe's explainer implements.")
    config: dict[str, str] = Field(default_factory=dict, description="Explainer settings, e.g. nb_classes: '10'.")


class Explainer(SpecModel):
    """An explainer component: KServe's builtin (art) or a custom container (image)."""

    art: ArtExplainer | None = Field(None, description="KServe's builtin ART explainer.")
    image: str | None = Field(None, min_length=1, description="Or the image of a custom explainer container.")
    command: list[str] = Field(default_factory=list, description="Entrypoint of a custom container; default the image's.")
    args: list[str] = Field(default_factory=list, description="Arguments of the explainer container.")
    env: list[EnvVar] = Field(default_factory=list, description="Environment of the explainer container.")
    resources: Resources = Field(default_factory=Resources, description="CPU and memory requests and limits.")
    scaling: ComponentScaling = Field(default_factory=ComponentScaling, description="Replicas of the explainer.")
    probes: Probes | None = Field(None, description=COMPONENT_PROBES)

    @model_validator(mode="after")
    def _one(self) -> "Explainer":
        if (self.art is None) == (self.image is None):
            raise ValueError("set exactly one implementation: art (KServe's builtin) or image (a custom container)")
        if self.art is not None and self.command:
            raise ValueError("command is for a custom explainer (image); KServe starts the art explainer itself")
        return self


class LoggerStorage(SpecModel):
    """Where KServe's logger writes batches of records itself (KServe 0.16+)."""

    name: Dns1035Label = Field(description="Name of an s3 entry in storage (not a data connection): its bucket and ServiceAccount.")
    path: str = Field(min_length=1, description="Key prefix inside the bucket.")
    format: Literal["json"] = Field("json", description="Record format.")


class RequestLogger(SpecModel):
    """Request/response logging by KServe's agent sidecar (CloudEvents to a sink)."""

    mode: Literal["all", "request", "response"] = Field("all", description="What is logged: all, request or response.")
    url: str | None = Field(None, pattern=r"^https?://", description="Sink URL the CloudEvents are posted to (http:// or https://).")
    metadata_headers: list[str] = Field(default_factory=list, description="Request headers copied into each record (KServe 0.14+).")
    metadata_annotations: list[str] = Field(
        default_factory=list, description="InferenceService annotations copied into each record (KServe 0.16+)."
    )
    storage: LoggerStorage | None = Field(None, description="Or a storage sink (KServe 0.16+).")

    @model_validator(mode="after")
    def _sink(self) -> "RequestLogger":
        if (self.url is None) == (self.storage is None):
            raise ValueError("set exactly one sink: url (an HTTP endpoint) or storage (a bucket, KServe 0.16+)")
        return self


class Batcher(SpecModel):
    """Server-side batching of v1 REST requests by KServe's agent sidecar."""

    max_batch_size: int | None = Field(None, ge=1, le=4096, description="Requests that trigger a batch, 1..4096; default KServe's (32).")
    max_latency: int | None = Field(
        None, ge=1, le=600_000, description="Milliseconds a batch waits for more requests, 1..600000; default KServe's (5000)."
    )
    timeout: int | None = Field(None, ge=1, le=3600, description="Seconds a batched request may take, 1..3600.")

    @model_validator(mode="after")
    def _latency(self) -> "Batcher":
        if self.timeout is not None and self.max_latency is not None and self.max_latency >= self.timeout * 1000:
            raise ValueError(f"maxLatency {self.max_latency}ms is not below timeout {self.timeout}s; every request would time out waiting for its batch: lower maxLatency or raise timeout")
        return self


class Metrics(SpecModel):
    """Metrics KServe exposes per service. Tracing and the metrics backend are cluster-wide (knative-serving
    config-observability / config-tracing, KServe's inferenceservice-config), so they are no model setting."""

    prometheus: bool = Field(
        description="Annotate the pods for Prometheus scraping, with the queue-proxy aggregating the engine's metrics "
        "(serving.kserve.io/enable-prometheus-scraping).",
    )


Auth = Literal["token"]
