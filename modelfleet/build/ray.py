"""KubeRay objects: a RayCluster, and a RayService serving a model with Ray Serve LLM on such a cluster."""

from __future__ import annotations

import yaml

from modelfleet.plan import EnvironmentPlan, ModelPlan, RayClusterPlan, RayWorkerGroupPlan
from modelfleet.spec.ray_serve import ServeApplication
from modelfleet.build.metadata import capacity_annotations, env_vars, object_metadata
from modelfleet.build.pod import container_resources, container_security, home_env, pod_fields, pod_volumes

SERVE_PORT = 8000
HEAD_PORTS = (("gcs", 6379), ("dashboard", 8265), ("client", 10001), ("serve", SERVE_PORT), ("metrics", 8080))
RAY_SERVE_LLM_APP = "ray.serve.llm:build_openai_app"
_LIBYAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _pod(cluster: RayClusterPlan, gpu, container: dict, shared_memory: str | None, claim: str | None) -> dict:
    """A head or worker pod spec around `container`, with the cluster's pod settings."""
    settings = cluster.pod
    env = container.get("env", [])
    env += home_env(settings, env)
    if env:
        container["env"] = env
    volumes, mounts = pod_volumes(shared_memory, claim, settings)
    if mounts:
        container["volumeMounts"] = mounts
    if container_security(settings):
        container["securityContext"] = container_security(settings)
    pod = pod_fields(gpu, settings)
    pod["containers"] = [container]
    if volumes:
        pod["volumes"] = volumes
    return pod


def _head_group(cluster: RayClusterPlan) -> dict:
    container = {
        "name": "ray-head",
        "image": cluster.image,
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in HEAD_PORTS],
        "resources": container_resources(cluster.head_resources, cluster.head_gpu),
    }
    # without GPUs, num-cpus/num-gpus 0: no Ray work lands on the head
    params = {"num-gpus": str(cluster.head_gpu.count)} if cluster.head_gpu else {"num-cpus": "0", "num-gpus": "0"}
    return {"rayStartParams": params, "template": {"spec": _pod(cluster, cluster.head_gpu, container, None, None)}}


def _worker_group(group: RayWorkerGroupPlan, cluster: RayClusterPlan) -> dict:
    container: dict = {"name": "ray-worker", "image": cluster.image}
    if cluster.worker_env:
        container["env"] = env_vars(cluster.worker_env)
    container["resources"] = container_resources(group.resources, group.gpu)
    pod = _pod(cluster, group.gpu, container, group.shared_memory, cluster.model_claim)
    return {
        "groupName": group.name,
        "replicas": group.replicas,
        "minReplicas": group.min_replicas,  # always emitted: KubeRay defaults them to 0 and 2147483647
        "maxReplicas": group.max_replicas,
        "rayStartParams": {"num-gpus": str(group.gpu.per_pod)},
        "template": {"spec": pod},
    }


def ray_cluster_spec(cluster: RayClusterPlan) -> dict:
    return {
        "rayVersion": cluster.ray_version,
        "enableInTreeAutoscaling": cluster.autoscaling,
        "headGroupSpec": _head_group(cluster),
        "workerGroupSpecs": [_worker_group(group, cluster) for group in cluster.worker_groups],
    }


def build_ray_cluster(cluster: RayClusterPlan, env: EnvironmentPlan) -> dict:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": object_metadata(env, cluster.name),
        "spec": ray_cluster_spec(cluster),
    }


def _custom_application(application: ServeApplication) -> dict:
    """An application as Ray Serve's config file writes it (snake_case keys)."""
    rendered = application.model_dump(by_alias=False, exclude_none=True)
    if not rendered["deployments"]:
        del rendered["deployments"]
    return rendered


def _emitted_alike(value: object) -> bool:
    """Whether libyaml's emitter writes `value` exactly as PyYAML's Python one does: every string printable ASCII, every
    key a non-empty string shorter than 100 characters. (They differ on long double-quoted strings, which only other
    characters need, on keys of about 128 characters, and on the empty key, which Python writes as a complex key.)"""
    if isinstance(value, str):
        return value.isascii() and value.isprintable()
    if isinstance(value, dict):
        return all(isinstance(key, str) and 0 < len(key) < 100 and _emitted_alike(key) and _emitted_alike(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return all(_emitted_alike(item) for item in value)
    return True


def _serve_yaml(config: dict) -> str:
    """serveConfigV2 as PyYAML's safe_dump writes it, through libyaml's several times faster emitter where the text is
    the same."""
    dumper = _LIBYAML_DUMPER if _emitted_alike(config) else yaml.SafeDumper
    return yaml.dump(config, Dumper=dumper, sort_keys=False, default_flow_style=False)


def serve_config(model: ModelPlan) -> str:
    """serveConfigV2: the model's own applications, or one Ray Serve LLM application whose replicas each take
    TP x PP GPUs over the workers."""
    ray = model.ray
    if ray.applications:
        applications = [_custom_application(application) for application in ray.applications]
        return _serve_yaml({"applications": applications})
    scaling = model.autoscaling
    autoscaling_config: dict = {"min_replicas": scaling.min_replicas, "max_replicas": scaling.max_replicas}
    target = model.spec.ray.target_ongoing_requests or scaling.target
    if target is not None:
        autoscaling_config["target_ongoing_requests"] = target
    llm_config = {
        "model_loading_config": {"model_id": ray.model_id, "model_source": ray.model_source},
        "engine_kwargs": dict(ray.engine_kwargs),
        "deployment_config": {"autoscaling_config": autoscaling_config},
    }
    application = {
        "name": model.name,
        "import_path": RAY_SERVE_LLM_APP,
        "route_prefix": "/",
        "args": {"llm_configs": [llm_config]},
    }
    return _serve_yaml({"applications": [application]})


def build_ray_service(model: ModelPlan, env: EnvironmentPlan) -> dict:
    spec = model.spec
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayService",
        "metadata": object_metadata(env, model.name, labels=sorted(spec.labels.items()), annotations=[*spec.annotations.items(), *capacity_annotations(model)]),
        "spec": {
            "upgradeStrategy": {"type": model.ray.upgrade_strategy},
            "serveConfigV2": serve_config(model),
            "rayClusterConfig": ray_cluster_spec(model.ray.cluster),
        },
    }
