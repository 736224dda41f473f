"""Each serving backend compiles from a short declaration, and each of its rules is a located error."""

from __future__ import annotations

import pytest

from components.builders.environment import build_environment
from components.notices import environment_notices
from components.resolve import resolve
from components.stack_files import Project, load_stack
from tests.test_spec_errors import problems_of

SHARED = """
config:
  modelfleet:environment:
    platform: {knative: "1.23", kuberay: "1.7"}
  modelfleet:gpuPools:
    - {name: a100, gpuModel: NVIDIA-A100-SXM4-80GB, gpusPerNode: 8}
    - {name: h100, gpuModel: NVIDIA-H100-80GB, gpusPerNode: 8}
  modelfleet:storage:
    - {name: models, pvc: {claimName: model-storage}}
    - {name: hub, huggingFace: {tokenSecretName: hf-token}}
    - {name: bucket, s3: {endpoint: s3.example.com, bucket: models, secretName: s3-creds}}
  modelfleet:runtimes:
    - {name: vllm, vllm: {image: "vllm/vllm-openai:v0.6.3", version: "0.6.3"}}
    - {name: multinode, vllm: {image: "vllm/vllm-openai:v0.6.3", version: "0.6.3", multiNode: true}}
    - {name: ray-llm, vllm: {image: "rayproject/ray-llm:2.52.0-py311-cu128", version: "0.11.0", rayVersion: "2.52.0"}}
    - {name: tgi, tgi: {image: "ghcr.io/huggingface/text-generation-inference:2.0.4", version: "2.0.4"}}
    - {name: tgi3, tgi: {image: "ghcr.io/huggingface/text-generation-inference:3.3.4", version: "3.3.4"}}
"""


def compile_dev(project, stack_text: str) -> tuple[list[dict], list[str]]:
    project.write("shared.yaml", SHARED)
    project.write("Pulumi.dev.yaml", stack_text)
    plan = resolve(load_stack(Project.at(project.root), "dev"))
    objects = build_environment(plan)
    return objects, environment_notices(plan, objects)


def by_kind(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


def errors(project, models: str, environment: str = "namespace: ml-dev") -> list[str]:
    return problems_of(project, f"config:\n  modelfleet:environment: {{{environment}}}\n  modelfleet:models:\n{models}", shared=SHARED)


# --- Knative Service (seed 004) ------------------------------------------------------------------------------------

def test_knative_service_puts_autoscaling_on_the_revision_template(project, schemas):
    objects, notices = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev, platform: {manageKnativeFeatures: true}}
          modelfleet:models:
            - name: qwen
              backend: knative
              runtime: vllm
              storage: {name: models, path: Qwen-7B-Chat-Int8}
              gpu: {pool: a100}
              containerConcurrency: 4
              timeoutSeconds: 600
              scaling: {metric: concurrency, target: 2, maxReplicas: 3, minReplicas: 0, stableWindow: 90s, panicThreshold: 300, targetBurstCapacity: -1}
        """)
    service = by_kind(objects)[("Service", "qwen")]
    assert "annotations" not in service["metadata"]  # Knative rejects autoscaling annotations there
    template = service["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev",
        "autoscaling.knative.dev/max-scale": "3",
        "autoscaling.knative.dev/metric": "concurrency",
        "autoscaling.knative.dev/min-scale": "0",
        "autoscaling.knative.dev/panic-threshold-percentage": "300",
        "autoscaling.knative.dev/target": "2",
        "autoscaling.knative.dev/target-burst-capacity": "-1",
        "autoscaling.knative.dev/window": "90s",
    }
    assert (template["spec"]["containerConcurrency"], template["spec"]["timeoutSeconds"]) == (4, 600)
    [container] = template["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": 8080}
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    features = by_kind(objects)[("ConfigMap", "config-features")]
    assert features["metadata"]["namespace"] == "knative-serving"
    assert features["data"] == {
        "kubernetes.podspec-nodeselector": "enabled",
        "kubernetes.podspec-persistent-volume-claim": "enabled",
        "kubernetes.podspec-tolerations": "enabled",
    }
    assert notices == []
    assert all(schemas.validate(obj) == [] for obj in objects)


def test_knative_features_are_a_warning_unless_the_stack_owns_them(project):
    objects, notices = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev, deploymentMode: Knative}
          modelfleet:models:
            - {name: llama, format: vLLM, runtime: vllm, storageUri: "s3://models/llama", gpu: {pool: a100}}
        """)
    assert ("ConfigMap", "config-features") not in by_kind(objects)
    assert notices == [
        'dev: Knative must allow these pod-spec features in knative-serving/config-features, or the pods are rejected: '
        'kubernetes.podspec-nodeselector (for llama); kubernetes.podspec-tolerations (for llama). Ask the cluster admin '
        'to set them to "enabled", or set environment.platform.manageKnativeFeatures: true to apply them from this stack'
    ]


def test_knative_ranges_are_checked_where_they_are_written(project):
    found = errors(project, """
    - name: qwen
      backend: knative
      runtime: vllm
      storage: {name: models, path: qwen}
      scaling: {stableWindow: 5s, scaleDownDelay: 1.5s, panicThreshold: 100, panicWindowPercentage: 0, targetUtilization: 101, scaleToZeroRetention: 2h}
""")
    assert found == [
        "stacks/Pulumi.dev.yaml:9:17: models[0].scaling.stableWindow: 5s is outside Knative's range; use a duration from 6s to 1h",
        "stacks/Pulumi.dev.yaml:9:35: models[0].scaling.scaleDownDelay: 1.5s is not a whole number of seconds; Knative rounds nothing, write e.g. '1s'",
        "stacks/Pulumi.dev.yaml:9:57: models[0].scaling.panicThreshold: 100 is out of range; it must be at least 110",
        "stacks/Pulumi.dev.yaml:9:78: models[0].scaling.panicWindowPercentage: 0 is out of range; it must be at least 1",
        "stacks/Pulumi.dev.yaml:9:104: models[0].scaling.targetUtilization: 101 is out of range; it must be at most 100",
        "stacks/Pulumi.dev.yaml:9:128: models[0].scaling.scaleToZeroRetention: 2h is outside Knative's range; use a duration from 0s to 1h",
    ]


def test_a_metric_the_platform_cannot_use_names_the_one_that_can(project):
    found = errors(project, """
    - name: knative-hpa
      backend: knative
      runtime: vllm
      storage: {name: models, path: a}
      scaling: {autoscaler: hpa, metric: rps, target: 10, maxReplicas: 2}
    - name: knative-cpu
      backend: knative
      runtime: vllm
      storage: {name: models, path: a}
      scaling: {metric: cpu, target: 80, autoscaler: kpa}
    - name: deploy-rps
      backend: deployment
      runtime: vllm
      storage: {name: models, path: a}
      scaling: {metric: rps, target: 5, maxReplicas: 2, minReplicas: 0, stableWindow: 60s}
    - name: deploy-range
      backend: deployment
      runtime: vllm
      storage: {name: models, path: a}
      scaling: {maxReplicas: 3}
    - name: ray-cpu
      backend: ray
      runtime: ray-llm
      storage: {name: hub, path: org/model}
      gpu: {pool: h100}
      scaling: {metric: cpu, target: 50, autoscaler: hpa}
""")
    assert found == [
        "stacks/Pulumi.dev.yaml:9:34: models[0].scaling.metric: metric 'rps' is read by Knative's KPA class, not its HPA class; use autoscaler: kpa, or metric cpu or memory",
        "stacks/Pulumi.dev.yaml:14:17: models[1].scaling.metric: metric 'cpu' needs Knative's HPA class; set autoscaler: hpa, or use concurrency or rps",
        "stacks/Pulumi.dev.yaml:19:17: models[2].scaling.metric: metric 'rps' is a Knative KPA metric, and this model is served as a Deployment; use cpu or memory, or backend: knative, or deploymentMode: Knative",
        "stacks/Pulumi.dev.yaml:19:57: models[2].scaling.minReplicas: scale to zero needs Knative's KPA or Ray Serve, and this model is served as a Deployment; set minReplicas to 1, or use backend: knative, deploymentMode: Knative or backend: ray",
        "stacks/Pulumi.dev.yaml:19:73: models[2].scaling.stableWindow: stableWindow is a Knative KPA setting, and this model is served as a Deployment; remove it, or serve the model on Knative with the KPA",
        "stacks/Pulumi.dev.yaml:24:7: models[3].scaling.metric: replicas range 1..3 needs a metric for the HPA; set metric (cpu or memory) and target, or maxReplicas equal to minReplicas",
        "stacks/Pulumi.dev.yaml:30:17: models[4].scaling.metric: Ray Serve scales on ongoing requests only; use metric concurrency, or backend: deployment, deploymentMode: Standard, or autoscaler: hpa on Knative",
        "stacks/Pulumi.dev.yaml:30:42: models[4].scaling.autoscaler: autoscaler 'hpa' is not available for a model served on Ray Serve; remove it (Ray Serve scales its own replicas)",
    ]
