"""The vLLM ServingRuntime / ClusterServingRuntime (the shape of OpenShift AI's vLLM runtime for KServe)."""

from __future__ import annotations

import json

from ..plan import EnvironmentPlan, RuntimePlan
from .metadata import env_vars, object_metadata

SERVING_PORT = 8080
MODEL_DIR = "/mnt/models"
HF_HOME = "/tmp/hf_home"
KSERVE_CONTAINER = "kserve-container"


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
    container = {
        "name": KSERVE_CONTAINER,
        "image": engine.image,
        "command": list(engine.command),
        "args": [f"--port={SERVING_PORT}", f"--model={MODEL_DIR}", "--served-model-name={{.Name}}"],
        "env": [{"name": "HF_HOME", "value": HF_HOME}, *env_vars(engine.env)],
        "ports": [{"containerPort": SERVING_PORT, "protocol": "TCP"}],
    }
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
            "supportedModelFormats": formats,
            "containers": [container],
        },
    }
