"""The KServe LLMInferenceService (serving.kserve.io/v1alpha2) of a model on the llm backend, and the
LLMInferenceServiceConfig presets models list in spec.baseRefs.

KServe merges its well-known presets under the object, so the object stays small: the `main` container gets
the image, the engine arguments (appended to the preset's `vllm serve` command), env, resources, the pod settings'
mounts and securityContext, and each pool's pods (template and worker) get the GPU scheduling and the pod settings.
The router's scheduler template is left to the presets: it is a CPU pod running KServe's image. Volumes merge by
name: `dshm` resizes the preset's /dev/shm instead of adding a second one.
"""

from __future__ import annotations

from modelfleet.build.metadata import capacity_annotations, env_vars, object_metadata
from modelfleet.build.pod import container_resources, container_security, home_env, pod_fields, pod_volumes
from modelfleet.plan import EnvironmentPlan, LlmPoolPlan, ModelPlan
from modelfleet.spec.llm import LlmPreset, LlmRouter, LlmTracing

API_VERSION = "serving.kserve.io/v1alpha2"
MAIN_CONTAINER = "main"             # the container name KServe's presets and controller use
PRESET_SHM_VOLUME = "dshm"          # the /dev/shm volume of KServe's presets (1Gi)
NIXL_SIDE_CHANNEL_HOST = {"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
"""NixlConnector's handshake address: the pod IP, which the other pool connects to."""


def _pod(model: ModelPlan, pool: LlmPoolPlan, disaggregated: bool) -> dict:
    """A pod template of a pool (template or worker): the main container and the pod settings on the pool's GPUs."""
    llm = model.llm
    settings = model.pod
    container: dict = {"name": MAIN_CONTAINER, "image": llm.image}
    if pool.args:
        container["args"] = list(pool.args)
    env = env_vars(llm.env) + ([NIXL_SIDE_CHANNEL_HOST] if disaggregated else [])
    env += home_env(settings, env)
    if env:
        container["env"] = env
    resources = container_resources(pool.resources, pool.gpu)
    if resources:
        container["resources"] = resources
    volumes, mounts = pod_volumes(None, None, settings)
    if mounts:
        container["volumeMounts"] = mounts
    security = container_security(settings)
    if security:
        container["securityContext"] = security
    pod: dict = {"containers": [container]}
    if model.service_account_name is not None:
        pod["serviceAccountName"] = model.service_account_name  # KServe reads S3 credentials from it
    pod.update(pod_fields(pool.gpu, settings, model.image_pull_secret))
    if model.shared_memory is not None:
        volumes.insert(0, {"name": PRESET_SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": model.shared_memory}})
    if volumes:
        pod["volumes"] = volumes
    return pod


def _scaling(pool: LlmPoolPlan, model: ModelPlan) -> dict:
    scaling = pool.autoscaling
    if scaling.autoscaler == "none":
        return {"replicas": scaling.min_replicas}
    options = model.llm.options
    wva: dict = {}
    if options.variant_cost is not None:
        wva["variantCost"] = options.variant_cost
    if scaling.autoscaler == "hpa":
        wva["hpa"] = {}
    else:
        wva["keda"] = options.keda.model_dump(by_alias=True, exclude_none=True) if options.keda else {}
    return {"scaling": {"minReplicas": scaling.min_replicas, "maxReplicas": scaling.max_replicas, "wva": wva}}


def _workload(model: ModelPlan, pool: LlmPoolPlan, disaggregated: bool) -> dict:
    """replicas or scaling, parallelism, template and (a replica over several pods) worker."""
    workload = _scaling(pool, model)
    parallelism: dict = {"tensor": pool.tensor}
    if pool.data is not None:
        parallelism.update({"data": pool.data, "dataLocal": pool.data_local})
    if pool.data_rpc_port is not None:
        parallelism["dataRPCPort"] = pool.data_rpc_port
    if pool.expert:
        parallelism["expert"] = True
    workload["parallelism"] = parallelism
    workload["template"] = _pod(model, pool, disaggregated)
    if pool.gpu.pods_per_replica > 1:
        workload["worker"] = _pod(model, pool, disaggregated)
    return workload


def _router(router: LlmRouter) -> dict:
    """The router fields this object sets (the rest comes from its presets)."""
    rendered: dict = {}
    if router.route not in (None, "none"):
        rendered["route"] = {} if router.route == "managed" else {"http": {"refs": [{"name": name} for name in router.route]}}
    if router.gateway is not None and router.route != "none":
        rendered["gateway"] = {} if router.gateway == "managed" else {"refs": [ref.model_dump(by_alias=True, exclude_none=True) for ref in router.gateway]}
    scheduler = router.scheduler
    if scheduler == "default":
        rendered["scheduler"] = {}
    elif scheduler not in (None, "none"):
        rendered["scheduler"] = {}
        if scheduler.config is not None:
            rendered["scheduler"]["config"] = {"ref": {"name": scheduler.config.config_map, "key": scheduler.config.key}}
        if scheduler.replicas is not None:
            rendered["scheduler"]["replicas"] = scheduler.replicas
    return rendered


def _tracing(tracing: LlmTracing) -> dict:
    return tracing.model_dump(by_alias=True, exclude_none=True)


def build_llm_inference_service(model: ModelPlan, env: EnvironmentPlan) -> dict:
    llm = model.llm
    options = llm.options
    spec_model: dict = {"uri": llm.uri, "name": llm.served_name}
    if llm.lora:
        lora: dict = {"adapters": [{"name": name, "uri": uri} for name, uri in llm.lora]}
        for field, value in (("maxRank", options.lora.max_rank), ("maxAdapters", options.lora.max_adapters), ("maxCpuAdapters", options.lora.max_cpu_adapters)):
            if value is not None:
                lora[field] = value
        spec_model["lora"] = lora
    spec: dict = {"model": spec_model}
    if options.presets:
        spec["baseRefs"] = [{"name": name} for name in options.presets]
    if not options.storage_initializer:
        spec["storageInitializer"] = {"enabled": False}
    disaggregated = llm.prefill is not None
    spec.update(_workload(model, llm.decode, disaggregated))
    if options.kv_cache_offloading is not None:
        spec["kvCacheOffloading"] = options.kv_cache_offloading.model_dump(by_alias=True, exclude_none=True)
    if disaggregated:
        spec["prefill"] = _workload(model, llm.prefill, disaggregated)
    router = _router(llm.router)
    if router:
        spec["router"] = router
    if options.tracing is not None:
        spec["tracing"] = _tracing(options.tracing)
    annotations = [*model.spec.annotations.items(), *capacity_annotations(model)]
    if model.spec.display_name:
        annotations.append(("openshift.io/display-name", model.spec.display_name))
    return {
        "apiVersion": API_VERSION,
        "kind": "LLMInferenceService",
        "metadata": object_metadata(env, model.name, labels=sorted(model.spec.labels.items()), annotations=annotations),
        "spec": spec,
    }


def build_llm_preset(preset: LlmPreset, env: EnvironmentPlan) -> dict:
    """An LLMInferenceServiceConfig holding environment-wide router and tracing settings."""
    spec: dict = {}
    router = _router(preset.router)
    if router:
        spec["router"] = router
    if preset.tracing is not None:
        spec["tracing"] = _tracing(preset.tracing)
    return {
        "apiVersion": API_VERSION,
        "kind": "LLMInferenceServiceConfig",
        "metadata": object_metadata(env, preset.name),
        "spec": spec,
    }
