"""Resolve a validated spec into a plan: defaults applied, references followed, cross-field rules checked."""

from __future__ import annotations

from dataclasses import replace

from modelfleet.resolve.engine_image import declared_version_problems, resolve_engine_images
from modelfleet.load.merge import locate, source_path
from modelfleet.plan.metadata_keys import ENVIRONMENT_LABEL, PART_OF_LABEL
from modelfleet.plan import EnvironmentPlan, RuntimePlan, StoragePlan
from modelfleet.resolve.free_form import env_problems, metadata_problems
from modelfleet.resolve.problems import Problems, by_name
from modelfleet.resolve.kserve_features import resolve_kserve_features
from modelfleet.resolve.model import DEFAULT_VLLM_FORMATS, References, resolve_model, runtime_object_name
from modelfleet.resolve.llm import resolve_llm_presets, served_name_problems
from modelfleet.resolve.deployment import service_name_problems
from modelfleet.resolve.pod import pod_settings_problems
from modelfleet.resolve.ray import ray_cluster_plan
from modelfleet.load.source_yaml import SourceProblem, format_path
from modelfleet.spec.base import version_tuple
from modelfleet.spec.stack import StackSpec
from modelfleet.spec.storage import Storage
from modelfleet.load.project import SpecError
from modelfleet.spec.stack_loader import LoadedStack



def _storage_plan(storage: Storage, namespace: str) -> StoragePlan:
    service_account = None
    if storage.s3 is not None and not storage.s3.data_connection:
        service_account = storage.s3.service_account_name or f"{storage.name}-sa"
    claim = volume = None
    if storage.pvc is not None:
        claim = storage.pvc.claim_name
    if storage.new_pvc is not None:
        claim = storage.new_pvc.claim_name or storage.name
        # PersistentVolumes are cluster-wide: prefix the namespace so environments sharing a cluster don't clash
        volume = f"{namespace}-{claim}"[:253] if storage.new_pvc.volume is not None else None
    return StoragePlan(storage.name, storage, service_account, claim, volume)


def _runtime_plans(spec: StackSpec, runtimes: list) -> tuple[RuntimePlan, ...]:
    """A (Cluster)ServingRuntime per vLLM runtime that an enabled kserve model uses, or that no model names
    (offered to users, e.g. in the OpenShift AI dashboard). For the other backends a runtime is just an image."""
    named = {model.runtime for model in spec.models}
    served = {model.runtime for model in spec.models if model.enabled and model.backend == "kserve"}
    return tuple(
        RuntimePlan(runtime_object_name(runtime, spec.environment.namespace), "ClusterServingRuntime" if runtime.scope == "Cluster" else "ServingRuntime",
                    runtime, tuple(runtime.model_formats or DEFAULT_VLLM_FORMATS))
        for runtime in runtimes
        if runtime.vllm is not None and (runtime.name in served or runtime.name not in named)
    )


def _located(loaded: LoadedStack, items: list[tuple[tuple, str]]) -> list[SourceProblem]:
    return [SourceProblem(locate(loaded.provenance, path), format_path(source_path(loaded.provenance, path)), message) for path, message in items]


def resolve(loaded: LoadedStack) -> EnvironmentPlan:
    """The plan of one environment; raises SpecError listing every cross-reference problem, located."""
    spec = loaded.spec
    problems = Problems()
    environment = spec.environment
    pools = by_name(spec.gpu_pools)
    storage_plans = {name: (index, _storage_plan(storage, environment.namespace)) for name, (index, storage) in by_name(spec.storage).items()}
    runtimes, notes, image_build = resolve_engine_images(spec.runtimes, loaded.project_root, problems, spec.image_build)
    if problems.items:  # models cannot be checked against an engine whose image lock is unreadable
        raise SpecError(_located(loaded, problems.items))
    built = frozenset({image_build.tag}) if image_build is not None else frozenset()
    llm_presets = resolve_llm_presets(spec.llm_presets, problems)
    refs = References(environment, by_name(runtimes), storage_plans, pools, built, llm_presets)
    served_name_problems([(i, m) for i, m in enumerate(spec.models) if m.enabled and m.backend == "llm"], environment.namespace, problems)

    declared_version_problems(spec.runtimes, problems)
    for index, runtime in enumerate(spec.runtimes):
        for kind, engine in (("vllm", runtime.vllm), ("tgi", runtime.tgi)):
            if engine is not None:
                env_problems(engine.env, ("runtimes", index, kind, "env"), problems)
    metadata_problems(environment.labels, ("environment", "labels"), False, problems)
    metadata_problems(environment.annotations, ("environment", "annotations"), True, problems)
    pod_settings_problems(environment.pod, ("environment", "pod"), problems)
    service_name_problems([(index, model) for index, model in enumerate(spec.models) if model.enabled], problems)
    models = [plan if features == plan.features else replace(plan, features=features)  # most models keep the default features: no copy of the plan
              for index, model in enumerate(spec.models) if model.enabled
              for plan, features in [(resolve_model(index, model, refs, problems), resolve_kserve_features(index, model, refs, problems))]
              if plan is not None and features is not None]
    clusters = [plan for index, cluster in enumerate(spec.ray_clusters) if cluster.enabled
                for plan in [ray_cluster_plan(index, cluster, pools, environment.platform.kuberay, environment.pod, problems)] if plan is not None]
    if problems.items:
        raise SpecError(_located(loaded, problems.items))

    name = environment.name or loaded.env
    labels = dict(environment.labels)
    labels.update({PART_OF_LABEL[0]: PART_OF_LABEL[1], ENVIRONMENT_LABEL: name})
    return EnvironmentPlan(
        name=name,
        namespace=environment.namespace,
        create_namespace=environment.create_namespace,
        labels=tuple(sorted(labels.items())),
        annotations=tuple(sorted(environment.annotations.items())),
        kserve_version=version_tuple(environment.platform.kserve),
        storages=tuple(plan for _, plan in storage_plans.values()),
        runtimes=_runtime_plans(spec, runtimes),
        models=tuple(models),
        ray_clusters=tuple(clusters),
        manage_knative_features=environment.platform.manage_knative_features,
        domain=environment.cluster_domain,
        notes=(*notes, *(str(warning) for warning in _located(loaded, problems.warnings))),
        image_build=image_build,
        llm_presets=tuple(preset for _, preset in llm_presets.values()),
    )
