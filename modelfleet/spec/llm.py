"""The llm backend: a KServe LLMInferenceService (llm-d) with its prefill/decode pools, router and presets.

The model's own fields (runtime, storage, gpu, engine, resources, env, scaling) describe the main workload,
which is the decode pool when a prefill pool is declared; `llm` adds what only this backend has.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modelfleet.spec.base import Dns1035Label, Dns1123Label, ObjectName, Quantity, SpecModel
from modelfleet.spec.model import GpuRequest, Resources, Scaling

PRESET_PREFIX = "kserve-"
"""KServe's controller looks up its well-known presets (kserve-config-llm-*) by name in the model's namespace first."""


class LlmParallelism(SpecModel):
    """How the GPUs of one replica run the engine: tensor parallel inside an engine, data parallel ranks over pods."""

    tensor: int | None = Field(
        None, ge=1, description="Tensor parallel size of one engine; default the GPUs of a pod divided by dataLocal."
    )
    data: int | None = Field(
        None, ge=1,
        description="Data parallel ranks of a replica over all its pods (a replica over several pods: gpu.perPod); "
        "default dataLocal x pods.",
    )
    data_local: int | None = Field(None, ge=1, description="Data parallel ranks in each pod; default 1 (with data).")
    data_rpc_port: int | None = Field(
        None, ge=1, le=65535, description="Port of the data parallel RPC between the pods of a replica (KServe default 5555)."
    )
    expert: bool = Field(False, description="Expert parallelism (--enable-expert-parallel) for mixture-of-experts models over pods.")


class LlmPrefill(SpecModel):
    """The prefill pool of a prefill/decode split: it computes the prompt's KV cache and hands it to the decode pool."""

    gpu: GpuRequest = Field(description="GPUs of one prefill replica (gpu.perPod spreads it over pods).")
    parallelism: LlmParallelism = Field(default_factory=LlmParallelism, description="Parallelism of a prefill replica.")
    scaling: Scaling = Field(default_factory=Scaling, description="Prefill replicas: fixed, or a range scaled by WVA (autoscaler hpa or keda).")
    resources: Resources | None = Field(None, description="CPU and memory of a prefill pod; default the model's resources.")


class GatewayRef(SpecModel):
    """An existing Gateway API Gateway."""

    name: ObjectName = Field(description="Gateway name.")
    namespace: Dns1123Label | None = Field(None, description="Its namespace; default the model's.")
    section_name: ObjectName | None = Field(None, description="A listener of the Gateway.")


class SchedulerConfigRef(SpecModel):
    """An EndpointPickerConfig stored in a ConfigMap key."""

    config_map: ObjectName = Field(description="ConfigMap name.")
    key: str = Field(min_length=1, description="Key holding the EndpointPickerConfig YAML.")


class LlmScheduler(SpecModel):
    """The llm-d inference scheduler (endpoint picker): KV-cache, prefix and load aware routing."""

    config: SchedulerConfigRef | None = Field(None, description="A named scheduler configuration; default KServe's preset.")
    replicas: int | None = Field(None, ge=1, description="Scheduler replicas (default 1).")


class LlmRouter(SpecModel):
    """How requests reach the model: Gateway, HTTPRoute and scheduler, managed by KServe or existing ones.

    Unset fields come from the model's presets, else the default (managed gateway and route, default scheduler).
    """

    gateway: Literal["managed"] | list[GatewayRef] | None = Field(
        None, description="managed: KServe's default Gateway; or existing Gateways the route attaches to."
    )
    route: Literal["managed", "none"] | list[ObjectName] | None = Field(
        None,
        description="managed: an HTTPRoute KServe creates; or names of existing HTTPRoutes; none: no route "
        "(reachable in the cluster through the workload Service only).",
    )
    scheduler: Literal["default", "none"] | LlmScheduler | None = Field(
        None,
        description="default: the scheduler of KServe's preset; none: no scheduler (the route load-balances over "
        "the workload Service); or a scheduler with a named configuration.",
    )


class LlmTracing(SpecModel):
    """OpenTelemetry tracing of the engine and the scheduler (KServe's defaults apply to unset fields)."""

    exporter_endpoint: str | None = Field(None, min_length=1, description="OTLP endpoint, e.g. http://otel-collector:4317.")
    sampler: str | None = Field(None, min_length=1, description="OTEL_TRACES_SAMPLER, e.g. parentbased_traceidratio.")
    sampler_arg: str | None = Field(None, min_length=1, description="OTEL_TRACES_SAMPLER_ARG, e.g. 0.05.")


class LlmPreset(SpecModel):
    """An environment-wide LLMInferenceServiceConfig that llm models list in llm.presets (spec.baseRefs)."""

    name: Dns1035Label = Field(description="Name of the LLMInferenceServiceConfig; not starting with kserve- (KServe's own presets).")
    router: LlmRouter = Field(default_factory=LlmRouter, description="Router settings the models inherit.")
    tracing: LlmTracing | None = Field(None, description="Tracing of every model using the preset.")


class LoraAdapter(SpecModel):
    """One LoRA adapter, downloaded by KServe and loaded by vLLM."""

    name: Dns1035Label = Field(description="Adapter name: the model name clients request.")
    uri: str = Field(pattern=r"^(hf|s3|pvc)://.+", description="Where KServe downloads it from: hf://, s3:// or pvc://.")


class LlmLora(SpecModel):
    """LoRA adapters KServe downloads next to the model and passes to vLLM (--enable-lora, --lora-modules)."""

    adapters: list[LoraAdapter] = Field(min_length=1, description="The adapters.")
    max_rank: int | None = Field(None, ge=1, description="--max-lora-rank (vLLM default 16).")
    max_adapters: int | None = Field(None, ge=1, description="--max-loras: adapters in one batch; default the number of adapters.")
    max_cpu_adapters: int | None = Field(None, ge=1, description="--max-cpu-loras; default the number of adapters.")


class KvCacheOffloading(SpecModel):
    """KV-cache blocks offloaded to CPU memory (vLLM's OffloadingConnector, vLLM 0.22.0+)."""

    cpu: Quantity = Field(description="CPU memory for offloaded KV blocks per pod, e.g. 32Gi.")
    eviction_policy: Literal["lru", "arc"] | None = Field(None, description="Eviction policy of the CPU tier (default lru).")


class KedaOptions(SpecModel):
    """KEDA settings of WVA autoscaling (scaling.autoscaler: keda)."""

    polling_interval: int | None = Field(None, ge=1, description="Seconds between metric checks.")
    cooldown_period: int | None = Field(None, ge=0, description="Seconds after the last active trigger before scaling down.")
    initial_cooldown_period: int | None = Field(None, ge=0, description="Seconds after creation before KEDA evaluates triggers (model loading).")
    idle_replica_count: int | None = Field(
        None, ge=1, description="Replicas when no trigger is active; below every pool's minReplicas."
    )


class LlmOptions(SpecModel):
    """Options of a model on the llm backend (a KServe LLMInferenceService, serving.kserve.io/v1alpha2)."""

    parallelism: LlmParallelism = Field(
        default_factory=LlmParallelism, description="Parallelism of the main (decode) replica; tensor parallel size replaces engine.tensorParallelSize."
    )
    prefill: LlmPrefill | None = Field(
        None, description="A prefill pool: splits prefill from decode, with the KV cache handed over by NixlConnector."
    )
    router: LlmRouter = Field(default_factory=LlmRouter, description="Gateway, route and scheduler.")
    presets: list[Dns1035Label] = Field(
        default_factory=list, description="Names of modelfleet:llmPresets applied in order (spec.baseRefs); later ones and the model override earlier ones."
    )
    lora: LlmLora | None = Field(None, description="LoRA adapters (instead of engine.lora).")
    kv_cache_offloading: KvCacheOffloading | None = Field(None, description="KV-cache offloading to CPU memory.")
    keda: KedaOptions | None = Field(None, description="KEDA settings when a pool scales with autoscaler keda.")
    variant_cost: str | None = Field(
        None, pattern=r"^\d+(\.\d+)?$", description="WVA cost of a replica, for its saturation analysis (KServe default 10.0)."
    )
    storage_initializer: bool = Field(
        True, description="false: no storage-initializer download (the model is already in the image or mounted another way)."
    )
    tracing: LlmTracing | None = Field(None, description="Tracing of this model (over its presets').")


CEL_RULES = (
    ("spec, spec.prefill", "!(has(self.replicas) && has(self.scaling))",
     "replicas and scaling are exclusive", "one is emitted per pool: replicas for a fixed count, scaling for a range"),
    ("spec.scaling, spec.prefill.scaling", "has(self.wva)",
     "scaling needs wva", "scaling is only emitted with wva; a range without autoscaler hpa or keda is an error at scaling.autoscaler"),
    ("spec.scaling, spec.prefill.scaling", "!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
     "minReplicas at most maxReplicas", "scaling.maxReplicas below minReplicas is an error at scaling"),
    ("spec.scaling, spec.prefill.scaling", "minimum: 1 on minReplicas (schema)",
     "WVA keeps at least one replica", "minReplicas 0 with autoscaler hpa or keda is an error at scaling.minReplicas"),
    ("spec.scaling, spec.prefill.scaling", "!has(self.wva.keda.idleReplicaCount) || has(self.minReplicas)",
     "idleReplicaCount needs minReplicas", "minReplicas is always emitted with scaling"),
    ("spec.scaling, spec.prefill.scaling", "self.wva.keda.idleReplicaCount < self.minReplicas",
     "idleReplicaCount below minReplicas", "llm.keda.idleReplicaCount at or above a KEDA pool's minReplicas is an error there"),
    ("spec.scaling.wva, spec.prefill.scaling.wva", "!(has(self.hpa) && has(self.keda))",
     "hpa and keda are exclusive", "one actuator per pool, from scaling.autoscaler"),
    ("spec.scaling.wva, spec.prefill.scaling.wva", "has(self.hpa) || has(self.keda)",
     "an actuator is required", "a replica range needs scaling.autoscaler hpa or keda; kpa and none are errors"),
    ("spec.scaling.wva.keda", "!has(self.advanced) || scalingModifiers empty",
     "WVA owns the scaling formula", "advanced is never emitted"),
    ("spec.scaling.wva.keda", "!has(self.advanced.horizontalPodAutoscalerConfig) || its name empty",
     "the controller names the HPA", "advanced is never emitted"),
    ("spec.router.scheduler.pool.spec", "endpointPickerRef port for kind Service; unique targetPorts",
     "InferencePool shape", "pool.spec is never emitted (KServe's scheduler preset owns it)"),
    ("spec.router.route.http.spec", "Gateway API HTTPRoute rules (matches, filters, timeouts, ...)",
     "HTTPRoute shape", "route.http.spec is never emitted (KServe's route preset owns it); existing routes are referenced by name"),
)
"""The CEL rules (x-kubernetes-validations) of the vendored LLMInferenceService v1alpha2 schema that concern what the
llm backend emits: (where, upstream expression, meaning, how modelfleet enforces it before apply)."""

WEBHOOK_RULES = (
    ("spec.router.route.http", "existing routes (refs) cannot be used with a managed gateway", "router.route as names needs router.gateway as existing Gateways"),
    ("spec.parallelism, spec.prefill.parallelism", "worker needs data (or pipeline) parallelism; data and dataLocal go together",
     "a replica over several pods gets data and dataLocal; data must be dataLocal x pods"),
    ("spec.prefill.scaling.wva", "decode and prefill use the same actuator", "scaling.autoscaler and llm.prefill.scaling.autoscaler must match"),
    ("spec.model.lora.adapters", "names required, unique, not the base model's name, not . or ..", "checked at llm.lora.adapters[].name"),
    ("spec.router.scheduler", "replicas above 0; config has a ref with a name", "replicas >= 1 and a ConfigMap name and key in the spec"),
)
"""Rules of KServe's validating webhook (not in the schema) that modelfleet checks too."""


def cel_rules_markdown() -> list[str]:
    """The CEL and webhook rules above as a REFERENCE.md section."""
    lines = [
        "## LLMInferenceService rules checked before apply",
        "",
        "The vendored `serving.kserve.io/v1alpha2` LLMInferenceService schema carries CEL rules (`x-kubernetes-validations`)",
        "that no offline schema validator runs, and KServe's webhook adds more. The llm backend enforces each one that",
        "concerns what it emits at compile time, with an error located at the stack field.",
        "",
        "| where | upstream rule | meaning | how modelfleet enforces it |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{where}` | `{rule}` | {meaning} | {how} |" for where, rule, meaning, how in CEL_RULES]
    lines += ["", "| where | webhook rule | how modelfleet enforces it |", "|---|---|---|"]
    lines += [f"| `{where}` | {rule} | {how} |" for where, rule, how in WEBHOOK_RULES]
    return [line.replace("||", "\\|\\|") if line.startswith("| `") else line for line in lines]
