"""Resolve one model: its runtime, model source, GPUs, parallelism, autoscaling and backend-specific plan.

Every rule a cluster would only enforce at pod start (or never) is checked here and reported at the field
that has to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from modelfleet.plan.autoscaling import DEPLOYMENT, KNATIVE, MULTI_NODE, RAY, STANDARD
from modelfleet.resolve.autoscaling import resolve_autoscaling
from modelfleet.catalog.builtin_runtimes import BUILTIN_RUNTIMES, VLLM_PROTOCOLS
from modelfleet.resolve.engine_args import checkpoint_quantization_problem, tgi_args, tgi_option_problems, vllm_args, vllm_engine_kwargs, vllm_engine_kwargs_problems, vllm_option_problems
from modelfleet.resolve.engine_image import engine_launch
from modelfleet.resolve.gpu_fit import model_capacity
from modelfleet.resolve.gpu_placement import gpu_placement, over_node_size
from modelfleet.plan import MODEL_DIR, EngineContainer, GpuPlacement, ModelPlan, StoragePlan
from modelfleet.resolve.free_form import argument_problems, env_problems, metadata_problems
from modelfleet.resolve.problems import Problems, unknown
from modelfleet.quantities import parse_quantity
from modelfleet.resolve.llm import llm_url, resolve_llm
from modelfleet.resolve.deployment import deployment_options
from modelfleet.resolve.pod import model_pod
from modelfleet.resolve.ray import model_ray_plan, serve_application_problems
from modelfleet.spec.base import version_tuple
from modelfleet.spec.engine import EngineOptions
from modelfleet.spec.env import EnvVar
from modelfleet.spec.environment import Environment
from modelfleet.spec.kserve_features import Canary
from modelfleet.spec.model import Model
from modelfleet.spec.runtime import ModelFormat, Runtime

HOST_LIMIT = 63
DEFAULT_VLLM_FORMATS = (ModelFormat.model_validate({"name": "vLLM", "autoSelect": True}),)
TGI_HF_TOKEN_SINCE = (2, 1, 0)  # TGI reads HF_TOKEN from 2.1.0; older launchers only HUGGING_FACE_HUB_TOKEN
MULTI_NODE_ENV = ("TENSOR_PARALLEL_SIZE", "PIPELINE_PARALLEL_SIZE")
MULTI_NODE_FLAGS = ("--tensor-parallel-size", "--pipeline-parallel-size", "-tp", "-pp")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class References:
    """What models refer to, by name with their index in the spec."""

    environment: Environment
    runtimes: dict
    storages: dict   # name -> (index, StoragePlan)
    pools: dict
    built_images: frozenset[str] = frozenset()  # tags of images `pulumi up` builds, deployed as <tag>@<digest>
    llm_presets: dict = field(default_factory=dict)  # name -> (index, LlmPreset)


@dataclass(frozen=True)
class _EngineSource:
    """Model files for an engine container we run ourselves (no KServe storage initializer)."""

    location: str          # --model / --model-id value: a path under the model directory or a hub id
    claim_name: str | None
    hub_token: tuple[str, str] | None


def runtime_object_name(runtime: Runtime, namespace: str) -> str:
    """The (Cluster)ServingRuntime's name. A ClusterServingRuntime is one object for the whole cluster, so two
    environments sharing a cluster would both own (and a GitOps engine prune) the same one: its name carries the
    environment's namespace, as PersistentVolumes do."""
    return f"{namespace}-{runtime.name}"[:253] if runtime.scope == "Cluster" else runtime.name


def image_tag(image: str) -> str | None:
    """The tag of an image reference without digest ('repo:v1' -> 'v1'), else None."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _kserve_source(storage: StoragePlan, path: str) -> tuple[str | None, tuple[str, str] | None]:
    spec = storage.spec
    path = path.lstrip("/")
    if spec.s3 is not None:
        if spec.s3.data_connection:
            return None, (spec.s3.secret_name, path)
        return f"s3://{spec.s3.bucket}/{path}", None
    if spec.hugging_face is not None:
        return f"hf://{path}", None
    if spec.oci is not None:
        return f"oci://{spec.oci.registry.rstrip('/')}/{path}", None
    return f"pvc://{storage.claim_name}/{path}", None


def _engine_source(model: Model, refs: References, at: tuple, problems: Problems, model_dir: str) -> _EngineSource | None:
    """PVC or hub sources only: the other backends have no storage initializer to fetch s3:// or oci://."""
    backend = model.backend
    if model.storage_uri is not None:
        uri = model.storage_uri
        if uri.startswith("pvc://") and "/" in uri[6:]:
            claim, path = uri[6:].split("/", 1)
            return _EngineSource(f"{model_dir}/{path.strip('/')}".rstrip("/"), claim, None)
        if uri.startswith("hf://"):
            return _EngineSource(uri[5:], None, None)
        problems.add(at + ("storageUri",), f"backend {backend} reads models from a PVC (pvc://claim/path) or the Hugging Face hub (hf://org/model); {uri.split('://')[0]}:// needs KServe's storage initializer: use backend kserve, or copy the model to a PVC")
        return None
    found = refs.storages.get(model.storage.name)
    if found is None:
        problems.add(at + ("storage", "name"), unknown("storage", model.storage.name, refs.storages))
        return None
    storage: StoragePlan = found[1]
    path = model.storage.path.strip("/")
    if storage.claim_name is not None:
        return _EngineSource(f"{model_dir}/{path}".rstrip("/"), storage.claim_name, None)
    hub = storage.spec.hugging_face
    if hub is not None:
        token = (hub.token_secret_name, hub.token_secret_key) if hub.token_secret_name else None
        return _EngineSource(path, None, token)
    kind = "s3" if storage.spec.s3 is not None else "oci"
    problems.add(at + ("storage", "name"), f"backend {backend} reads models from a PVC or the Hugging Face hub; storage '{storage.name}' is {kind}, which needs KServe's storage initializer: use backend kserve, or a pvc/newPvc/huggingFace storage")
    return None


def _vllm_runtime_version(runtime: Runtime, requested: str | None, at: tuple, problems: Problems,
                          built_images: frozenset[str] = frozenset()) -> str | None:
    """runtimeVersion for a model on a compiled vLLM runtime.

    KServe rewrites the runtime image's trailing ':<tag>' to ':<runtimeVersion>'. On a digest-pinned image
    that corrupts the digest; on a tagged image any other tag runs an engine the flags were not compiled for.
    So the only safe value is the image's own tag, which is also the default. An image the stack builds is
    written as its tag but deployed by `pulumi up` as <tag>@<digest>: it is digest-pinned, runtimeVersion stays unset.
    """
    image = runtime.vllm.image
    if image in built_images:
        if requested is not None:
            problems.add(at + ("runtimeVersion",), f"runtime '{runtime.name}' runs the image the stack builds (imageBuild), which `pulumi up` deploys pinned by digest; KServe would replace the digest with runtimeVersion and break the image; remove runtimeVersion (the digest already pins the engine)")
        return None
    tag = image_tag(image)
    if requested is None:
        return tag
    if _DIGEST.search(image):
        problems.add(at + ("runtimeVersion",), f"runtime '{runtime.name}' pins its image by digest; KServe would replace the digest with runtimeVersion and break the image; remove runtimeVersion (the digest already pins the engine)")
    elif requested != tag:
        problems.add(at + ("runtimeVersion",), f"runtime '{runtime.name}' runs {image} (vLLM {runtime.vllm.version}); runtimeVersion {requested} would run another engine than the flags are compiled for; remove runtimeVersion or declare a runtime with that image")
    return requested


def _check_resources(model: Model, at: tuple, problems: Problems) -> None:
    for resource in ("cpu", "memory"):
        request = getattr(model.resources.requests, resource)
        limit = getattr(model.resources.limits, resource)
        if request is not None and limit is not None and parse_quantity(request) > parse_quantity(limit):
            problems.add(at + ("resources", "requests", resource), f"request {request} is above the limit {limit}; lower the request or raise the limit")


def _check_runtime(model: Model, runtime: Runtime, at: tuple, problems: Problems) -> None:
    """The runtime's engine suits the backend, and the model's options suit the engine."""
    backend = model.backend
    if runtime.builtin is not None and backend != "kserve":
        problems.add(at + ("runtime",), f"runtime '{runtime.name}' is KServe's {runtime.builtin} runtime, which only the kserve backend runs; use backend: kserve or a vllm/tgi runtime")
    if runtime.tgi is not None and backend not in ("knative", "deployment"):
        problems.add(at + ("runtime",), f"runtime '{runtime.name}' is TGI, which runs on the knative and deployment backends; set backend: deployment or knative, or use a vLLM runtime")
    if backend == "ray" and runtime.vllm is not None and runtime.vllm.ray_version is None:
        problems.add(at + ("runtime",), f"backend ray runs Ray Serve LLM inside the engine image; runtime '{runtime.name}' declares no vllm.rayVersion: use an image with Ray (e.g. rayproject/ray-llm) and set rayVersion")
    if model.engine is not None and runtime.vllm is None:
        kind = "TGI: use tgi" if runtime.tgi is not None else f"KServe's {runtime.builtin} runtime: use args"
        problems.add(at + ("engine",), f"engine options are for vLLM runtimes; runtime '{runtime.name}' is {kind}")
    if model.tgi is not None and runtime.tgi is None:
        problems.add(at + ("tgi",), f"tgi options are for TGI runtimes; runtime '{runtime.name}' is not one: use engine for vLLM, args for builtin runtimes")
    if model.args and runtime.builtin is None:
        fix = "engine.extraArgs" if runtime.vllm is not None else "tgi.extraArgs"
        problems.add(at + ("args",), f"a {'vLLM' if runtime.vllm else 'TGI'} model takes typed engine options; move these to {fix}")
    if backend == "kserve":
        if model.format is None:
            problems.add(at + ("format",), "the kserve backend needs the model format KServe selects a runtime by; set format (e.g. vLLM)")
        elif runtime.builtin is not None:
            info = BUILTIN_RUNTIMES[runtime.builtin]
            if model.format.lower() not in info.formats:
                problems.add(at + ("format",), f"runtime '{runtime.name}' ({info.runtime_name}) serves {', '.join(info.formats)}, not '{model.format}'; change format or runtime")
        elif runtime.vllm is not None:
            formats = runtime.model_formats or DEFAULT_VLLM_FORMATS
            if model.format.lower() not in {fmt.name.lower() for fmt in formats}:
                problems.add(at + ("format",), f"runtime '{runtime.name}' serves {', '.join(fmt.name for fmt in formats)}, not '{model.format}'; change format or runtime")
        _check_protocol(model, runtime, at, problems)
    else:
        for name, value in (("format", model.format), ("formatVersion", model.format_version), ("runtimeVersion", model.runtime_version), ("protocolVersion", model.protocol_version)):
            if value is not None:
                problems.add(at + (name,), f"{name} is read by KServe only, and this model uses backend {backend}; remove it")


def _check_protocol(model: Model, runtime: Runtime, at: tuple, problems: Problems) -> None:
    """KServe refuses a model whose protocolVersion (default v1) its runtime does not list in protocolVersions."""
    served = BUILTIN_RUNTIMES[runtime.builtin].protocols if runtime.builtin is not None else VLLM_PROTOCOLS
    protocol = model.protocol_version or "v1"
    if protocol not in served:
        what = f"KServe's {runtime.builtin} runtime" if runtime.builtin is not None else "a vLLM runtime (the OpenAI-compatible server)"
        if model.protocol_version is None:
            problems.add(at + ("runtime",), f"runtime '{runtime.name}' is {what}, which serves protocol {' or '.join(served)}, and KServe gives a model without protocolVersion v1; set protocolVersion: {served[0]}")
        else:
            problems.add(at + ("protocolVersion",), f"runtime '{runtime.name}' is {what}, which serves protocol {' or '.join(served)}, not {protocol}; set protocolVersion to one of them or change the runtime")


def _check_engine_options(model: Model, runtime: Runtime, at: tuple, problems: Problems) -> None:
    """Options and extraArgs the pinned engine version does not take (and what Ray's engine kwargs cannot carry)."""
    found = []
    if model.engine is not None and runtime.vllm is not None:
        found = [(("engine", *path), message) for path, message in vllm_option_problems(model.engine, runtime.vllm.version)]
        if model.backend == "ray":
            found += [(("engine", *path), message) for path, message in vllm_engine_kwargs_problems(model.engine)]
        mismatch = checkpoint_quantization_problem(model.checkpoint_quantization, model.engine.quantization)
        if mismatch is not None:
            found.append((("engine", "quantization"), mismatch))
    if model.tgi is not None and runtime.tgi is not None:
        found = [(("tgi", *path), message) for path, message in tgi_option_problems(model.tgi, runtime.tgi.version)]
    for path, message in found:
        problems.add(at + path, message)


def _parallelism(model: Model) -> tuple[int, int]:
    """(tensor, pipeline) parallel sizes the engine runs with; TGI shards are tensor parallel."""
    if model.engine is not None:
        return model.engine.tensor_parallel_size or 1, model.engine.pipeline_parallel_size or 1
    if model.tgi is not None and model.tgi.num_shard is not None:
        return model.tgi.num_shard, 1
    return 1, 1


def _check_gpus(model: Model, gpu: GpuPlacement | None, multi_node: bool, at: tuple, problems: Problems) -> None:
    before = len(problems.items)
    tp, pp = _parallelism(model)
    world = tp * pp
    count = gpu.count if gpu else 0
    per_pod = gpu.per_pod if gpu else 0
    parallel = ("engine", "tensorParallelSize") if model.engine is not None else ("tgi", "numShard")
    if gpu is not None and gpu.count % gpu.per_pod:
        problems.add(at + ("gpu", "perPod"), f"gpu.count {gpu.count} is not a multiple of perPod {gpu.per_pod}; make count a multiple of perPod")
        return
    spans_pods = gpu is not None and gpu.pods_per_replica > 1
    if spans_pods and model.backend not in ("ray", "kserve"):
        problems.add(at + ("gpu", "perPod"), f"backend {model.backend} runs a replica in one pod; a replica over {gpu.pods_per_replica} pods needs backend ray or a multiNode vLLM runtime on kserve; remove perPod or change the backend")
    elif spans_pods and model.backend == "kserve" and not multi_node:
        problems.add(at + ("gpu", "perPod"), f"a replica over {gpu.pods_per_replica} pods needs a multi-node runtime; set multiNode: true on runtime '{model.runtime}' or remove perPod")
    if model.backend == "ray":
        if gpu is None:
            problems.add(at + ("gpu",), "backend ray serves on GPU workers; set gpu (pool, count and perPod)")
        elif world != count and not model.ray.applications:  # custom applications place their own replicas
            problems.add(at + parallel, f"tensorParallelSize {tp} x pipelineParallelSize {pp} = {world} GPUs, but a replica has gpu.count {count}; make TP x PP equal gpu.count")
    elif multi_node:
        if gpu is None:
            problems.add(at + ("gpu",), "a multi-node runtime serves on GPUs; set gpu (pool, count and perPod)")
        else:
            if model.engine is not None and model.engine.tensor_parallel_size not in (None, per_pod):
                problems.add(at + ("engine", "tensorParallelSize"), f"KServe multi-node runs tensorParallelSize = GPUs per pod ({per_pod}); set it to {per_pod} or leave it out")
            if model.engine is not None and model.engine.pipeline_parallel_size not in (None, gpu.pods_per_replica):
                problems.add(at + ("engine", "pipelineParallelSize"), f"KServe multi-node runs pipelineParallelSize = pods per replica ({gpu.pods_per_replica}); set it to {gpu.pods_per_replica} or leave it out")
    elif world > 1 and (count < world or count % world):
        what = f"tensorParallelSize {tp}" if pp == 1 else f"tensorParallelSize {tp} x pipelineParallelSize {pp}"
        problems.add(at + parallel, f"{what} does not divide the {count} GPU(s) of a replica; set gpu.count to a multiple of {world}")
    workers_in_pod = per_pod if (multi_node or model.backend == "ray") else world
    if workers_in_pod > 1 and model.shared_memory is None and len(problems.items) == before:
        problems.add(at + ("sharedMemory",), f"{workers_in_pod} GPU workers share a pod and exchange tensors through /dev/shm, which is 64Mi by default; set sharedMemory, e.g. 16Gi")


def _check_multi_node(model: Model, storage_uri: str | None, mode: str, at: tuple, problems: Problems) -> None:
    """KServe's multi-node rules (Standard mode, pvc:// or oci:// model, TP/PP only through workerSpec)."""
    if mode != "Standard":
        problems.add(at + ("deploymentMode",), f"KServe runs multi-node InferenceServices in Standard mode only, and this model runs in {mode} mode; set deploymentMode: Standard")
    if storage_uri is None or not storage_uri.startswith(("pvc://", "oci://")):
        field = ("storageUri",) if model.storage_uri is not None else ("storage", "name")
        problems.add(at + field, "KServe multi-node loads the model from a PVC or an OCI image on every node; use pvc:// or oci:// storage")
    for index, variable in enumerate(model.env):
        if variable.name in MULTI_NODE_ENV:
            problems.add(at + ("env", index, "name"), f"KServe sets {variable.name} from workerSpec on multi-node models; remove it and use engine.tensorParallelSize / pipelineParallelSize")
    if model.engine is not None:
        for index, arg in enumerate(model.engine.extra_args):
            if arg.split("=", 1)[0] in MULTI_NODE_FLAGS:
                problems.add(at + ("engine", "extraArgs", index), f"{arg.split('=', 1)[0]} comes from workerSpec on multi-node models; remove it and use engine.tensorParallelSize / pipelineParallelSize")


def _platform(model: Model, mode: str, multi_node: bool) -> str:
    if model.backend == "kserve":
        return MULTI_NODE if multi_node else (KNATIVE if mode == "Knative" else STANDARD)
    return {"knative": KNATIVE, "deployment": DEPLOYMENT, "ray": RAY}[model.backend]


def _check_free_form(model: Model, at: tuple, problems: Problems) -> None:
    """Labels, annotations and arguments are written as they are: no credential, no key the compiler manages."""
    metadata_problems(model.labels, at + ("labels",), False, problems)
    metadata_problems(model.annotations, at + ("annotations",), True, problems)
    argument_problems(model.args, at + ("args",), problems)
    env_problems(model.env, at + ("env",), problems)
    for options, name in ((model.engine, "engine"), (model.tgi, "tgi")):
        if options is not None:
            argument_problems(options.extra_args, at + (name, "extraArgs"), problems)


def _check_host(model: Model, namespace: str, at: tuple, problems: Problems) -> None:
    """Knative and KServe build a DNS label from name and namespace; it must fit in 63 characters."""
    host = {"kserve": f"{model.name}-predictor-{namespace}", "knative": f"{model.name}-{namespace}"}.get(model.backend)
    if host is not None and len(host) > HOST_LIMIT:
        problems.add(at + ("name",), f"the generated host '{host}' has {len(host)} characters, over {HOST_LIMIT}; shorten the model name or the namespace")


def _engine_container(model: Model, runtime: Runtime, source: _EngineSource, env: list[EnvVar], port: int, model_dir: str) -> EngineContainer:
    served = (model.engine.served_model_name if model.engine and model.engine.served_model_name else model.name)
    if runtime.vllm is not None:
        options = (model.engine or EngineOptions()).model_copy(update={"served_model_name": None})
        launch_args, launch_env = engine_launch(runtime.vllm, source.location, served, port)
        args = [*launch_args, *vllm_args(options, runtime.vllm.version)]
        return EngineContainer("vllm", runtime.vllm.image, tuple(runtime.vllm.command), tuple(args),
                               (*launch_env, *runtime.vllm.env, *env), source.claim_name, port, model_dir)
    args = [f"--port={port}", f"--model-id={source.location}"]
    if model.tgi is not None:
        args.extend(tgi_args(model.tgi, runtime.tgi.version))
    return EngineContainer("tgi", runtime.tgi.image, (), tuple(args), (*runtime.tgi.env, *env), source.claim_name, port, model_dir)


def _hub_token_env(runtime: Runtime | None, token: tuple[str, str], env: list[EnvVar]) -> list[EnvVar]:
    name = "HF_TOKEN"
    if runtime is not None and runtime.tgi is not None and version_tuple(runtime.tgi.version) < TGI_HF_TOKEN_SINCE:
        name = "HUGGING_FACE_HUB_TOKEN"
    if any(variable.name == name for variable in env):
        return env
    return [*env, EnvVar.model_validate({"name": name, "secretKeyRef": {"name": token[0], "key": token[1]}})]


def _source_and_env(model: Model, runtime: Runtime | None, refs: References, at: tuple, problems: Problems,
                    model_dir: str) -> tuple[_EngineSource | None, list[EnvVar]]:
    """The model source of an engine container, and the model's env with the hub token it reads the source with."""
    source = _engine_source(model, refs, at, problems, model_dir)
    env = list(model.env)
    if source is not None and source.hub_token is not None:
        env = _hub_token_env(runtime, source.hub_token, env)
    return source, env


def canary_engine_container(model: Model, canary: Canary, runtime: Runtime, refs: References, at: tuple,
                            problems: Problems) -> EngineContainer | None:
    """The engine container of a knative canary: the model's, with the canary's model source, engine options and env.
    A source the canary keeps is the model's, reported (once) at the model's path."""
    moved = canary.storage is not None or canary.storage_uri is not None
    update = {"engine": canary.engine or model.engine, "env": model.env if canary.env is None else canary.env}
    if moved:
        update.update(storage=canary.storage, storage_uri=canary.storage_uri)
    variant = model.model_copy(update=update)
    _, _, port, model_dir = deployment_options(model, at, problems)
    source, env = _source_and_env(variant, runtime, refs, at + ("canary",) if moved else at, problems, model_dir)
    return None if source is None else _engine_container(variant, runtime, source, env, port, model_dir)


def _url(model: Model, mode: str, namespace: str, domain: str, service: tuple[str, int]) -> str:
    if model.backend == "ray":
        return f"http://{model.name}-serve-svc.{namespace}.svc.{domain}:8000"
    if model.backend == "deployment":
        name, port = service
        return f"http://{name}.{namespace}.svc.{domain}" + (f":{port}" if port != 80 else "")
    host = f"{model.name}-predictor" if model.backend == "kserve" and mode != "Knative" else model.name
    return f"http://{host}.{namespace}.svc.{domain}"


def resolve_model(index: int, model: Model, refs: References, problems: Problems) -> ModelPlan | None:
    at = ("models", index)
    before = len(problems.items)
    environment = refs.environment
    namespace = environment.namespace
    mode = model.mode or environment.deployment_mode
    service_name, service_port, container_port, model_dir = deployment_options(model, at, problems)
    _check_host(model, namespace, at, problems)
    _check_free_form(model, at, problems)

    runtime: Runtime | None = refs.runtimes.get(model.runtime, (None, None))[1]
    runtime_name = model.runtime
    if runtime is None:
        problems.add(at + ("runtime",), unknown("runtime", model.runtime, refs.runtimes))
    else:
        _check_runtime(model, runtime, at, problems)
        _check_engine_options(model, runtime, at, problems)
        if runtime.builtin is not None:
            runtime_name = BUILTIN_RUNTIMES[runtime.builtin].runtime_name
        else:
            runtime_name = runtime_object_name(runtime, namespace)
    multi_node = model.backend == "kserve" and runtime is not None and runtime.vllm is not None and runtime.vllm.multi_node
    if model.backend == "ray" and environment.platform.kuberay is None:
        problems.add(at + ("backend",), "backend ray needs KubeRay on the cluster; set environment.platform.kuberay to its version")
    if model.backend == "knative" and environment.platform.knative is None:
        problems.add(at + ("backend",), "backend knative needs Knative Serving on the cluster; set environment.platform.knative to its version")

    runtime_version = None
    if model.backend == "kserve" and runtime is not None and runtime.builtin is not None:
        runtime_version = model.runtime_version or runtime.version
    elif model.backend == "kserve" and runtime is not None and runtime.vllm is not None:
        runtime_version = _vllm_runtime_version(runtime, model.runtime_version, at, problems, refs.built_images)

    env = list(model.env)
    storage_uri = storage_key = storage_sa = pull_secret = source = None
    if model.backend in ("kserve", "llm"):  # both fetch the model through KServe's storage initializer
        storage_uri = model.storage_uri
        if model.storage is not None:
            found = refs.storages.get(model.storage.name)
            if found is None:
                problems.add(at + ("storage", "name"), unknown("storage", model.storage.name, refs.storages))
            else:
                storage: StoragePlan = found[1]
                storage_uri, storage_key = _kserve_source(storage, model.storage.path)
                storage_sa = storage.service_account_name
                pull_secret = storage.spec.oci.image_pull_secret_name if storage.spec.oci else None
                hub = storage.spec.hugging_face
                if hub is not None and hub.token_secret_name:
                    env = _hub_token_env(runtime, (hub.token_secret_name, hub.token_secret_key), env)
        if multi_node:
            _check_multi_node(model, storage_uri, mode, at, problems)
    else:
        source, env = _source_and_env(model, runtime, refs, at, problems, model_dir)

    gpu = None
    if model.gpu is not None:
        pool = refs.pools.get(model.gpu.pool, (None, None))[1]
        if pool is None:
            problems.add(at + ("gpu", "pool"), unknown("GPU pool", model.gpu.pool, refs.pools))
        else:
            gpu = gpu_placement(pool, model.gpu.count, model.gpu.per_pod)
            if over_node_size(pool, gpu.per_pod) and model.gpu.per_pod is None:
                problems.add(at + ("gpu", "count"), f"{model.gpu.count} GPUs per replica, but pool '{pool.name}' nodes have {pool.gpus_per_node}; lower gpu.count, or spread a replica over pods with gpu.perPod (backend ray or a multiNode runtime)")
            elif over_node_size(pool, gpu.per_pod):
                problems.add(at + ("gpu", "perPod"), f"{gpu.per_pod} GPUs per pod, but pool '{pool.name}' nodes have {pool.gpus_per_node}; lower gpu.perPod")
    if runtime is not None and model.backend != "llm":  # the llm backend's pools are checked in resolve/llm.py
        _check_gpus(model, gpu, multi_node, at, problems)
    _check_resources(model, at, problems)
    if model.backend == "ray" and gpu is not None:
        serve_application_problems(model, gpu, at, problems)
    engine = next((kind for kind in ("vllm", "tgi") if runtime is not None and getattr(runtime, kind) is not None), None)
    if model.backend == "llm":
        llm = resolve_llm(model, runtime, gpu, storage_uri, storage_key is not None, env, refs, at, problems) if runtime is not None and runtime.vllm is not None else None
        autoscaling = llm.decode.autoscaling if llm else None
    else:
        llm, autoscaling = None, resolve_autoscaling(model.scaling, _platform(model, mode, multi_node), at, problems)
    gpus = (gpu,) if gpu is not None else ()
    if llm and llm.prefill:  # the prefill pool's pods take the same settings
        gpus += (llm.prefill.gpu,)
    pod = model_pod(model, environment, mode, engine, gpus, model_dir, at, problems)
    if len(problems.items) != before:
        return None
    if llm:
        capacity = llm.decode.capacity
    elif model.backend == "ray" and model.ray.applications:  # their parallelism is the applications' own: not estimated
        capacity = None
    else:
        capacity = model_capacity(model, runtime, gpu, refs.pools, environment.gpu_fit, multi_node, at, problems)
    if len(problems.items) != before:
        return None
    args: tuple[str, ...] = tuple(model.args)
    if model.backend == "kserve" and model.engine is not None:
        options = model.engine
        if multi_node:  # KServe passes TP/PP from workerSpec to the runtime
            options = options.model_copy(update={"tensor_parallel_size": None, "pipeline_parallel_size": None})
        args = tuple(vllm_args(options, runtime.vllm.version))
    container = _engine_container(model, runtime, source, env, container_port, model_dir) if model.backend in ("knative", "deployment") else None
    ray = None
    if model.backend == "ray":
        served = model.engine.served_model_name if model.engine and model.engine.served_model_name else model.name
        kwargs = vllm_engine_kwargs(model.engine or EngineOptions(), runtime.vllm.version, MODEL_DIR)
        kwargs.pop("served_model_name", None)  # the model_id is the served name
        ray = model_ray_plan(model, runtime, gpu, source, env, served, kwargs, autoscaling, pod)
    return ModelPlan(
        name=model.name,
        spec=model,
        backend=model.backend,
        mode=mode,
        runtime_name=runtime_name,
        runtime_version=runtime_version,
        storage_uri=storage_uri,
        storage_key=storage_key,
        service_account_name=model.service_account_name or storage_sa,
        image_pull_secret=pull_secret,
        gpu=gpu,
        args=args,
        env=tuple(env),
        autoscaling=autoscaling,
        shared_memory=model.shared_memory,
        multi_node=(gpu.per_pod, gpu.pods_per_replica) if multi_node else None,
        container=container,
        ray=ray,
        url=llm_url(model.name, namespace, environment.cluster_domain) if llm else _url(model, mode, namespace, environment.cluster_domain, (service_name, service_port)),
        capacity=capacity,
        llm=llm,
        pod=pod,
        service=(service_name, service_port) if model.backend == "deployment" else None,
    )
