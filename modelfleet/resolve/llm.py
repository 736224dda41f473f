"""Resolve a model on the llm backend: a KServe LLMInferenceService (llm-d) with its pools, router and presets.

KServe merges its well-known presets (kserve-config-llm-*: the vLLM command, the routing sidecar, the scheduler,
the route), then the model's baseRefs, then the object itself. The engine command of those presets is
`vllm serve /mnt/models --served-model-name <model.name> --port ... [--tensor-parallel-size <tensor>] ... $@`
under `bash -c ... eval`, so our container only adds arguments, and every argument goes through a shell once.
What the API server's CEL rules and KServe's webhook would reject, and what the presets would silently drop,
is reported here at the stack field (see spec/llm.py CEL_RULES).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import replace

from modelfleet.plan import CapacityPlan, GpuPlacement, LlmPlan, LlmPoolPlan
from modelfleet.plan.autoscaling import AutoscalingPlan
from modelfleet.resolve.engine_args import is_flag, vllm_args, vllm_option_problems
from modelfleet.resolve.gpu_fit import model_capacity
from modelfleet.resolve.gpu_placement import gpu_placement, over_node_size
from modelfleet.resolve.problems import Problems, unknown
from modelfleet.quantities import parse_quantity
from modelfleet.spec.base import version_tuple
from modelfleet.spec.engine import EngineOptions
from modelfleet.spec.env import EnvVar
from modelfleet.spec.llm import PRESET_PREFIX, LlmOptions, LlmParallelism, LlmPreset, LlmRouter
from modelfleet.spec.model import GpuRequest, Model, Resources, Scaling
from modelfleet.spec.runtime import Runtime

LLM_D = "LLMInferenceService"
"""The autoscaling platform of llm models: fixed replicas, or WVA driving an HPA or a KEDA ScaledObject."""
KSERVE_V1ALPHA2_SINCE = (0, 17)     # LLMInferenceService serving.kserve.io/v1alpha2 (served from 0.16, storage from 0.17)
VLLM_SERVE_SINCE = "0.5.2"          # KServe's preset starts the engine with `vllm serve`
NIXL_SINCE = "0.9.0"                # vLLM's NixlConnector (V1 engine); our reading of vLLM's releases
OFFLOADING_SINCE = "0.22.0"         # KServe's preset adds the OffloadingConnector only on vLLM 0.22.0+
KV_TRANSFER_FLAG = "--kv-transfer-config"
PD_KV_TRANSFER = {"kv_connector": "NixlConnector", "kv_role": "kv_both"}
"""Both pools run NixlConnector as kv_both: prefill produces the KV cache, decode pulls it (llm-d's setup)."""
URIS = ("hf://", "s3://", "pvc://", "oci://")  # what KServe's llmisvc controller downloads or mounts
PRESET_FLAGS = ("--port", "--served-model-name", "--tensor-parallel-size", "-tp", "--data-parallel-size", "-dp",
                "--data-parallel-size-local", "--data-parallel-address", "--data-parallel-rpc-port",
                "--data-parallel-start-rank", "--enable-expert-parallel", "--headless", "--model")  # fmt: skip
"""Flags KServe's presets set from the object (model name, port, parallelism); a second copy would conflict."""
LORA_FLAGS = ("--enable-lora", "--lora-modules", "--max-lora-rank", "--max-loras", "--max-cpu-loras")
DEFAULT_ROUTER = LlmRouter.model_validate({"gateway": "managed", "route": "managed", "scheduler": "default"})
ROUTER_FIELDS = ("gateway", "route", "scheduler")


def shell_word(arg: str) -> str:
    """`arg` as one word for the preset's `eval`: a flag keeps its name readable (`--x='{"a":1}'`)."""
    if is_flag(arg) and "=" in arg:
        flag, value = arg.split("=", 1)
        return f"{flag}={shlex.quote(value)}"
    return shlex.quote(arg)


def llm_url(name: str, namespace: str, domain: str) -> str:
    """The in-cluster workload Service KServe creates; the gateway serves /<namespace>/<name>/v1/..."""
    return f"http://{name}-kserve-workload-svc.{namespace}.svc.{domain}:8000"


def resolve_llm_presets(presets: list[LlmPreset], problems: Problems) -> dict[str, tuple[int, LlmPreset]]:
    found = {}
    for index, preset in enumerate(presets):
        at = ("llmPresets", index)
        if preset.name.startswith(PRESET_PREFIX):
            problems.add(at + ("name",), f"'{preset.name}' starts with {PRESET_PREFIX}, the prefix of KServe's well-known presets, which the controller looks up by name in the model's namespace first; a preset of that name would replace KServe's own for every model there: rename it")
        _router_problems(preset.router, at + ("router",), problems)
        found[preset.name] = (index, preset)
    return found


def _router_problems(router: LlmRouter, at: tuple, problems: Problems) -> None:
    """KServe's webhook rules between gateway and route, on one router (a preset's or the effective one)."""
    if isinstance(router.route, list) and router.gateway == "managed":
        problems.add(at + ("route",), "existing HTTPRoutes cannot be used with KServe's managed gateway (the webhook rejects it): set router.gateway to the Gateways those routes attach to, or route: managed")
    if router.route == "none" and isinstance(router.gateway, list):
        problems.add(at + ("gateway",), "a Gateway with route: none reaches nothing: no HTTPRoute attaches the model to it; set route: managed (or existing routes), or remove gateway")


def _effective_router(options: LlmOptions, presets: list[tuple[str, LlmPreset]], at: tuple, problems: Problems) -> tuple[LlmRouter, LlmRouter]:
    """(what the object sets itself, what KServe ends up with after merging the presets)."""
    own, effective = {}, {}
    for field in ROUTER_FIELDS:
        value = getattr(options.router, field)
        inherited = [(name, getattr(preset.router, field)) for name, preset in presets if getattr(preset.router, field) is not None]
        if value == "none" and inherited:
            problems.add(at + ("router", field), f"preset '{inherited[-1][0]}' sets router.{field}, and a model cannot remove what its presets set (KServe merges presets first); drop the preset from llm.presets or set {field} there")
        if value is None and inherited:
            effective[field] = inherited[-1][1]
        else:
            own[field] = value if value is not None else getattr(DEFAULT_ROUTER, field)
            effective[field] = own[field]
    return LlmRouter.model_validate({}).model_copy(update=own), LlmRouter.model_validate({}).model_copy(update=effective)


def _scaling(scaling: Scaling, at: tuple, problems: Problems) -> AutoscalingPlan:
    """Fixed replicas, or a range WVA scales through an HPA or a KEDA ScaledObject."""
    here = at + ("scaling",)
    autoscaler = scaling.autoscaler
    for name in (*scaling.kpa_settings(), *(["initial_replicas"] if scaling.initial_replicas is not None else [])):
        field = "".join(part.capitalize() if index else part for index, part in enumerate(name.split("_")))
        problems.add(here + (field,), f"{field} is a Knative setting, and an LLMInferenceService is scaled by WVA; remove it")
    if scaling.metric is not None:
        problems.add(here + ("metric",), "WVA scales an LLMInferenceService on the saturation it reads from the engines (KV cache, queue); remove metric and target")
    if autoscaler == "kpa":
        problems.add(here + ("autoscaler",), "an LLMInferenceService is scaled by WVA through an HPA or KEDA; use autoscaler hpa or keda (a replica range) or none (fixed replicas)")
    if autoscaler in ("hpa", "keda"):
        if scaling.max_replicas is None:
            problems.add(here + ("maxReplicas",), f"WVA scales between minReplicas and maxReplicas, and maxReplicas is required; set it, or autoscaler none for {scaling.min_replicas} fixed replicas")
        if scaling.min_replicas < 1:
            problems.add(here + ("minReplicas",), "WVA keeps at least one replica (minReplicas has a minimum of 1); set minReplicas to 1 or more, or use llm.keda.idleReplicaCount for the idle floor")
        maximum = scaling.max_replicas or scaling.min_replicas
        return AutoscalingPlan(LLM_D, autoscaler, scaling.min_replicas, maximum, None, None, None, ())
    if scaling.max_replicas is not None and scaling.max_replicas != scaling.min_replicas:
        problems.add(here + ("maxReplicas",), f"replicas {scaling.min_replicas}..{scaling.max_replicas} need an autoscaler: set autoscaler hpa or keda (WVA), or maxReplicas equal to minReplicas")
    return AutoscalingPlan(LLM_D, "none", scaling.min_replicas, scaling.min_replicas, None, None, None, ())


def _parallelism(par: LlmParallelism, gpu: GpuPlacement, at: tuple, problems: Problems) -> tuple[int, int | None, int | None]:
    """(tensor, data, dataLocal) of a replica: one engine on one pod, or data parallel ranks over a LeaderWorkerSet."""
    here = at + ("parallelism",)
    pods = gpu.pods_per_replica
    if pods == 1:
        for field, value in (("data", par.data), ("dataLocal", par.data_local), ("dataRpcPort", par.data_rpc_port)):
            if value is not None:
                problems.add(here + (field,), f"{field} is for data parallel ranks over the pods of a replica (KServe's worker preset); a replica here is one pod: remove it, or spread the replica with gpu.perPod")
        if par.expert:
            problems.add(here + ("expert",), "KServe passes --enable-expert-parallel in its worker preset only; spread the replica over pods with gpu.perPod, or pass it in engine.extraArgs")
        tensor = par.tensor or gpu.count
        if tensor != gpu.count:
            problems.add(here + ("tensor",), f"KServe's single-node preset runs one engine with --tensor-parallel-size {tensor} on a pod of {gpu.count} GPU(s); set tensor to {gpu.count}, or gpu.count to {tensor}")
        return tensor, None, None
    data_local = par.data_local or 1
    tensor = par.tensor or max(gpu.per_pod // data_local, 1)
    if tensor * data_local != gpu.per_pod:
        field = "dataLocal" if par.data_local is not None else "tensor"
        problems.add(here + (field,), f"tensor {tensor} x dataLocal {data_local} = {tensor * data_local} GPUs of engines per pod, but a pod has gpu.perPod {gpu.per_pod}; make tensor x dataLocal equal perPod")
    data = par.data or data_local * pods
    if data != data_local * pods:
        problems.add(here + ("data",), f"KServe sizes the LeaderWorkerSet data / dataLocal = {data // data_local} pod(s), but a replica has gpu.count / perPod = {pods}; set data to {data_local * pods} (dataLocal x pods)")
    return tensor, data, data_local


def _placement(request: GpuRequest, pools: dict, at: tuple, problems: Problems) -> GpuPlacement | None:
    pool = pools.get(request.pool, (None, None))[1]
    if pool is None:
        problems.add(at + ("gpu", "pool"), unknown("GPU pool", request.pool, pools))
        return None
    placement = gpu_placement(pool, request.count, request.per_pod)
    if request.count % placement.per_pod:
        problems.add(at + ("gpu", "perPod"), f"gpu.count {request.count} is not a multiple of perPod {placement.per_pod}; make count a multiple of perPod")
        return None
    if over_node_size(pool, placement.per_pod):
        field = "perPod" if request.per_pod is not None else "count"
        problems.add(at + ("gpu", field), f"{placement.per_pod} GPUs per pod, but pool '{pool.name}' nodes have {pool.gpus_per_node}; lower gpu.{field}" + ("" if request.per_pod else ", or spread a replica over pods with gpu.perPod"))
    return placement


def _engine_problems(model: Model, options: LlmOptions, at: tuple, problems: Problems) -> None:
    engine = model.engine
    if engine is None:
        return
    here = at + ("engine",)
    moves = (("tensorParallelSize", engine.tensor_parallel_size, "llm.parallelism.tensor (KServe's preset passes --tensor-parallel-size from it)"),
             ("dataParallelSize", engine.data_parallel_size, "llm.parallelism.data with gpu.perPod (KServe's worker preset runs the ranks)"),
             ("pipelineParallelSize", engine.pipeline_parallel_size, "tensor or data parallelism in llm.parallelism: KServe 0.20 ships no pipeline-parallel preset, and its single-node preset drops pipeline parallelism"),
             ("lora", engine.lora, "llm.lora (KServe downloads the adapters and passes the LoRA flags)"))  # fmt: skip
    for field, value, instead in moves:
        if value is not None:
            problems.add(here + (field,), f"on the llm backend use {instead}; remove engine.{field}")
    owned = PRESET_FLAGS + (LORA_FLAGS if options.lora is not None else ())
    for index, arg in enumerate(engine.extra_args):
        flag = arg.split("=", 1)[0]
        if flag in owned:
            problems.add(here + ("extraArgs", index), f"KServe's preset sets {flag} from the LLMInferenceService; remove it (use engine.servedModelName, llm.parallelism or llm.lora)")
        elif flag == KV_TRANSFER_FLAG and (options.prefill is not None or options.kv_cache_offloading is not None):
            problems.add(here + ("extraArgs", index), f"{KV_TRANSFER_FLAG} is set by the prefill/decode split or llm.kvCacheOffloading; remove it")


def _scaling_rules(options: LlmOptions, pools: list[tuple[tuple, str, AutoscalingPlan]], at: tuple, problems: Problems) -> None:
    """WVA across the pools: one actuator for both, KEDA settings only with KEDA, idleReplicaCount below minReplicas."""
    ranged = [(where, label, plan) for where, label, plan in pools if plan.autoscaler in ("hpa", "keda")]
    if len(ranged) == 2 and ranged[0][2].autoscaler != ranged[1][2].autoscaler:
        problems.add(ranged[1][0] + ("scaling", "autoscaler"), f"decode scales with {ranged[0][2].autoscaler} and prefill with {ranged[1][2].autoscaler}; KServe requires one actuator for both (two metric pipelines would scale them out of step): use the same autoscaler")
    if options.variant_cost is not None and not ranged:
        problems.add(at + ("llm", "variantCost"), "variantCost is read by WVA, and no pool autoscales; remove it or set scaling.autoscaler hpa or keda")
    keda = options.keda
    if keda is None:
        return
    keda_pools = [(label, plan) for _, label, plan in ranged if plan.autoscaler == "keda"]
    if not keda_pools:
        problems.add(at + ("llm", "keda"), "llm.keda configures KEDA, and no pool scales with autoscaler keda; remove it or set scaling.autoscaler: keda")
    for label, plan in keda_pools:
        if keda.idle_replica_count is not None and keda.idle_replica_count >= plan.min_replicas:
            problems.add(at + ("llm", "keda", "idleReplicaCount"), f"idleReplicaCount {keda.idle_replica_count} must be below the {label} pool's minReplicas {plan.min_replicas} (a CEL rule of scaling); lower it or raise minReplicas")


def _fit(model: Model, runtime: Runtime, request: GpuRequest, gpu: GpuPlacement, tensor: int, options: LlmOptions,
         refs, at: tuple, where: tuple, problems: Problems) -> CapacityPlan | None:
    """The GPU-fit estimate of one engine of a pool (tensor GPUs), its findings moved to the pool's fields."""
    lora = None
    if options.lora is not None:
        lora = {"maxLoras": options.lora.max_adapters or len(options.lora.adapters), **({"maxLoraRank": options.lora.max_rank} if options.lora.max_rank else {})}
    engine = (model.engine or EngineOptions()).model_copy(update={
        "tensor_parallel_size": tensor, "pipeline_parallel_size": None, "data_parallel_size": None,
        "lora": EngineOptions.model_validate({"lora": lora}).lora if lora else None})
    scratch = Problems()
    capacity = model_capacity(model.model_copy(update={"gpu": request, "engine": engine}), runtime, gpu, refs.pools,
                              refs.environment.gpu_fit, False, at, scratch)
    prefix = ".".join(map(str, where[2:]))
    renames = (("engine.tensorParallelSize", f"{prefix + '.' if prefix else 'llm.'}parallelism.tensor"),)
    if prefix:
        renames += (("gpu.count", f"{prefix}.gpu.count"), ("gpu.pool", f"{prefix}.gpu.pool"))
    for found, report in ((scratch.items, problems.add), (scratch.warnings, problems.warn)):
        for path, message in found:
            if path[len(at):len(at) + 1] == ("gpu",):
                path = where + path[len(at):]
            for old, new in renames:
                message = message.replace(old, new)
            report(path, message)
    return capacity


def _pool(gpu: GpuPlacement | None, par: LlmParallelism, autoscaling: AutoscalingPlan, resources: Resources,
          args: list[str], parallel_at: tuple, problems: Problems) -> LlmPoolPlan | None:
    before = len(problems.items)
    if gpu is None:
        return None
    tensor, data, data_local = _parallelism(par, gpu, parallel_at, problems)
    if len(problems.items) != before:
        return None
    return LlmPoolPlan(gpu, resources, tensor, data, data_local, par.data_rpc_port, par.expert, autoscaling,
                       tuple(shell_word(arg) for arg in args))


def _served_name(model: Model) -> str:
    return model.engine.served_model_name if model.engine and model.engine.served_model_name else model.name


def resolve_llm(model: Model, runtime: Runtime, gpu: GpuPlacement | None, storage_uri: str | None,
                data_connection: bool, env: list[EnvVar], refs, at: tuple, problems: Problems) -> LlmPlan | None:
    """The LLMInferenceService plan of one model, or None with its problems recorded."""
    before = len(problems.items)
    options = model.llm or LlmOptions()
    environment = refs.environment
    version = runtime.vllm.version
    if version_tuple(environment.platform.kserve) < KSERVE_V1ALPHA2_SINCE:
        problems.add(at + ("backend",), f"LLMInferenceService serving.kserve.io/v1alpha2 needs KServe 0.17 or later, and environment.platform.kserve is {environment.platform.kserve}; upgrade KServe or use backend kserve")
    if version_tuple(version) < version_tuple(VLLM_SERVE_SINCE):
        problems.add(at + ("runtime",), f"KServe's preset starts the engine with `vllm serve`, which vLLM has from {VLLM_SERVE_SINCE}; runtime '{runtime.name}' pins {version}: use a newer vLLM image")
    for field, value in (("containerConcurrency", model.container_concurrency), ("timeoutSeconds", model.timeout_seconds), ("deploymentMode", model.deployment_mode)):
        if value is not None:
            problems.add(at + (field,), f"{field} is not an LLMInferenceService setting; remove it")
    if data_connection:
        problems.add(at + ("storage", "name"), "an LLMInferenceService reads its model from spec.model.uri only, which an OpenShift AI data connection cannot fill; use an S3 storage with a ServiceAccount, a PVC, OCI or the Hugging Face hub")
    elif storage_uri is not None and not storage_uri.startswith(URIS):
        field = ("storageUri",) if model.storage_uri is not None else ("storage", "name")
        problems.add(at + field, f"KServe's LLMInferenceService controller fetches {', '.join(URIS)} models, not {storage_uri.split('://')[0]}://; copy the model to one of those")
    if model.gpu is None:
        problems.add(at + ("gpu",), "the llm backend serves on GPUs; set gpu (pool and count)")
    _engine_problems(model, options, at, problems)

    presets = []
    for index, name in enumerate(options.presets):
        found = refs.llm_presets.get(name)
        if found is None:
            problems.add(at + ("llm", "presets", index), unknown("llm preset", name, refs.llm_presets))
        else:
            presets.append((name, found[1]))
    own_router, router = _effective_router(options, presets, at + ("llm",), problems)
    _router_problems(router, at + ("llm", "router"), problems)
    if router.route == "none" and router.scheduler != "none":
        problems.add(at + ("llm", "router", "scheduler"), "the scheduler picks endpoints for requests that come through the route, and route is none: it would run idle; set scheduler: none, or a route")

    if options.lora is not None:
        seen: dict[str, int] = {}
        for index, adapter in enumerate(options.lora.adapters):
            here = at + ("llm", "lora", "adapters", index, "name")
            if adapter.name in seen:
                problems.add(here, f"adapter '{adapter.name}' is already adapters[{seen[adapter.name]}]; give each adapter its own name")
            seen.setdefault(adapter.name, index)
            if adapter.name == _served_name(model):
                problems.add(here, f"adapter '{adapter.name}' has the base model's served name; clients could not tell them apart: rename it")
        if options.lora.max_rank is not None:
            probe = EngineOptions.model_validate({"lora": {"maxLoraRank": options.lora.max_rank}})
            for _, message in vllm_option_problems(probe, version):
                problems.add(at + ("llm", "lora", "maxRank"), message.replace("maxLoraRank", "maxRank"))

    kv_args: list[str] = []
    offloading = options.kv_cache_offloading
    if options.prefill is not None:
        if version_tuple(version) < version_tuple(NIXL_SINCE):
            problems.add(at + ("llm", "prefill"), f"the prefill/decode split hands the KV cache over with vLLM's NixlConnector, which vLLM has from {NIXL_SINCE}; runtime '{runtime.name}' pins {version}: use a newer vLLM image")
        if router.scheduler == "none":
            problems.add(at + ("llm", "prefill"), "the scheduler sends each request's prefill to the prefill pool; with scheduler: none no request reaches it; remove scheduler: none")
        if offloading is not None:
            problems.add(at + ("llm", "kvCacheOffloading"), f"KServe's preset adds KV-cache offloading only when no {KV_TRANSFER_FLAG} is given, and the prefill/decode split sets one (NixlConnector): it would be dropped silently; remove kvCacheOffloading")
        kv_args = [f"{KV_TRANSFER_FLAG}={json.dumps(PD_KV_TRANSFER, separators=(',', ':'))}"]
    elif offloading is not None and version_tuple(version) < version_tuple(OFFLOADING_SINCE):
        problems.add(at + ("llm", "kvCacheOffloading"), f"KServe's preset adds the OffloadingConnector on vLLM {OFFLOADING_SINCE} or later only, and runtime '{runtime.name}' pins {version}: it would be dropped silently; use a newer vLLM image or remove kvCacheOffloading")

    engine = (model.engine or EngineOptions()).model_copy(update={"served_model_name": None})
    args = [*vllm_args(engine, version), *kv_args]
    pools = [(at, "decode", _scaling(model.scaling, at, problems))]
    decode = _pool(gpu, options.parallelism, pools[0][2], model.resources, args, at + ("llm",), problems)
    prefill = None
    if options.prefill is not None:
        spec = options.prefill
        where = at + ("llm", "prefill")
        placement = _placement(spec.gpu, refs.pools, where, problems)
        for resource in ("cpu", "memory"):
            request, limit = (getattr(section, resource) for section in (spec.resources.requests, spec.resources.limits)) if spec.resources else (None, None)
            if request is not None and limit is not None and parse_quantity(request) > parse_quantity(limit):
                problems.add(where + ("resources", "requests", resource), f"request {request} is above the limit {limit}; lower the request or raise the limit")
        pools.append((where, "prefill", _scaling(spec.scaling, where, problems)))
        prefill = _pool(placement, spec.parallelism, pools[1][2], spec.resources or model.resources, args, where, problems)
        if decode is not None and prefill is not None and max(decode.tensor, prefill.tensor) % min(decode.tensor, prefill.tensor):
            problems.add(where + ("parallelism", "tensor"), f"prefill tensor parallel size {prefill.tensor} and decode {decode.tensor} do not divide one another, so NixlConnector cannot map the KV heads of one pool's ranks onto the other's; make one a multiple of the other")
    _scaling_rules(options, pools, at, problems)
    if len(problems.items) != before or decode is None:
        return None
    decode = replace(decode, capacity=_fit(model, runtime, model.gpu, gpu, decode.tensor, options, refs, at, at, problems))
    if prefill is not None:
        capacity = _fit(model, runtime, options.prefill.gpu, prefill.gpu, prefill.tensor, options, refs, at, at + ("llm", "prefill"), problems)
        prefill = replace(prefill, capacity=capacity)
    if len(problems.items) != before:
        return None
    lora = tuple((adapter.name, adapter.uri) for adapter in options.lora.adapters) if options.lora else ()
    return LlmPlan(storage_uri, _served_name(model), runtime.vllm.image, (*runtime.vllm.env, *env), decode, prefill,
                   own_router, lora, options)


def served_name_problems(models: list[tuple[int, Model]], namespace: str, problems: Problems) -> None:
    """Two llm models serving the same name in one namespace: the routes of both match the same requests
    (path /publishers/<namespace>/models/<name>, header routing on that name), so traffic goes to either."""
    seen: dict[str, int] = {}
    for index, model in models:
        name = _served_name(model)
        if name in seen:
            field = ("engine", "servedModelName") if model.engine and model.engine.served_model_name else ("name",)
            problems.add(("models", index) + field, f"models[{seen[name]}] already serves '{name}' on the llm backend in namespace {namespace}; both routes would match /publishers/{namespace}/models/{name} and requests would reach either: give each model its own served name")
        seen.setdefault(name, index)
