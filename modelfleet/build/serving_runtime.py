"""The vLLM ServingRuntime / ClusterServingRuntime (the shape of OpenShift AI's vLLM runtime for KServe)."""

from __future__ import annotations

import json

from modelfleet.resolve.engine_image import engine_launch
from modelfleet.plan import MODEL_DIR, SERVING_PORT, EnvironmentPlan, RuntimePlan
from modelfleet.build.inference_service import WORKER_CONTAINER
from modelfleet.build.metadata import env_vars, object_metadata
from modelfleet.build.pod import probe
from modelfleet.catalog.builtin_runtimes import VLLM_PROTOCOLS
from modelfleet.plan.pod import ENGINE_PROBES

HF_HOME = "/tmp/hf_home"
KSERVE_CONTAINER = "kserve-container"
RAY_PORT = 6379

# KServe multi-node: the predictor pod is the Ray head and runs the engine once PIPELINE_PARALLEL_SIZE nodes
# (head + workers) have joined; KServe sets TENSOR_PARALLEL_SIZE / PIPELINE_PARALLEL_SIZE from the
# InferenceService's workerSpec and ISVC_NAME on the workers. "$@" is the engine command and its arguments.
HEAD_SCRIPT = """\
ray start --head --disable-usage-stats --include-dashboard=false --port={port}
until [ "$(ray status 2>/dev/null | grep -c node_)" -ge "${{PIPELINE_PARALLEL_SIZE}}" ]; do
  echo "waiting for the Ray worker nodes to join"; sleep 2
done
exec "$@" --distributed-executor-backend=ray --tensor-parallel-size="${{TENSOR_PARALLEL_SIZE}}" --pipeline-parallel-size="${{PIPELINE_PARALLEL_SIZE}}"
"""
WORKER_SCRIPT = """\
head="${{ISVC_NAME}}-head.${{POD_NAMESPACE}}.svc.{domain}:{port}"
until ray health-check --address "$head" >/dev/null 2>&1; do
  echo "waiting for the Ray head at $head"; sleep 5
done
exec ray start --address="$head" --block
"""


def build_serving_runtime(runtime: RuntimePlan, env: EnvironmentPlan) -> dict:
    spec = runtime.spec
    engine = spec.vllm
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    if spec.dashboard:
        labels["opendatahub.io/dashboard"] = "true"
    if spec.display_name:
        annotations["openshift.io/display-name"] = spec.display_name
    if spec.recommended_accelerators:
        annotations["opendatahub.io/recommended-accelerators"] = json.dumps(list(spec.recommended_accelerators))
    formats = []
    for fmt in runtime.model_formats:
        entry: dict = {"name": fmt.name}
        if fmt.version is not None:
            entry["version"] = fmt.version
        entry["autoSelect"] = fmt.auto_select
        if fmt.priority is not None:
            entry["priority"] = fmt.priority
        formats.append(entry)
    launch_args, launch_env = engine_launch(engine, MODEL_DIR, "{{.Name}}")  # KServe fills in {{.Name}}
    container = {
        "name": KSERVE_CONTAINER,
        "image": engine.image,
        "command": list(engine.command),
        "args": launch_args,
        "env": [{"name": "HF_HOME", "value": HF_HOME}, *env_vars([*launch_env, *engine.env])],
        "ports": [{"containerPort": SERVING_PORT, "protocol": "TCP"}],
        # models change them with pod.probes on their InferenceService
        **{f"{kind}Probe": probe(plan, SERVING_PORT) for kind, plan in ENGINE_PROBES.items()},
    }
    worker_spec = None
    if engine.multi_node:
        container["command"] = ["bash", "-c", HEAD_SCRIPT.format(port=RAY_PORT), "ray-head", *engine.command]
        worker_spec = {"containers": [{
            "name": WORKER_CONTAINER,
            "image": engine.image,
            "command": ["bash", "-c", WORKER_SCRIPT.format(domain=env.domain, port=RAY_PORT)],
            "env": [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}, *env_vars(engine.env)],
        }]}
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": runtime.kind,
        "metadata": object_metadata(
            env, runtime.name, namespaced=runtime.kind == "ServingRuntime",
            labels=labels.items(), annotations=annotations.items(),
        ),
        "spec": {
            "annotations": {
                "prometheus.io/path": "/metrics",
                "prometheus.io/port": str(SERVING_PORT),
                "prometheus.io/scrape": "true",
            },
            "multiModel": False,
            "protocolVersions": list(VLLM_PROTOCOLS),
            "supportedModelFormats": formats,
            "containers": [container],
            **({"workerSpec": worker_spec} if worker_spec else {}),
        },
    }
