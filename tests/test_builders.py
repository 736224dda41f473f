"""Builders produce the seeds' manifests from the example stacks, and every built object is schema-valid."""

from __future__ import annotations

import pytest

from modelfleet.build.inference_service import deployment_mode_value
from modelfleet.compile import compile_environments
from modelfleet.load.project import Project
from tests.conftest import ENVIRONMENTS, ROOT


@pytest.fixture(scope="module")
def objects():
    project = Project.at(ROOT)
    return {item.env: {(o["kind"], o["metadata"]["name"]): o for o in item.objects} for item in compile_environments(project, list(ENVIRONMENTS), None)}


def test_granite_matches_openshift_ai_seed(objects):
    isvc = objects["staging"][("InferenceService", "granite")]
    predictor = isvc["spec"]["predictor"]
    assert predictor["model"]["modelFormat"] == {"name": "vLLM"}
    assert predictor["model"]["storage"] == {"key": "aws-connection-my-storage", "path": "models/granite-7b-instruct/"}
    assert predictor["model"]["resources"] == {
        "requests": {"cpu": "1", "memory": "8Gi", "nvidia.com/gpu": "1"},
        "limits": {"cpu": "6", "memory": "24Gi", "nvidia.com/gpu": "1"},
    }
    assert predictor["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert isvc["metadata"]["annotations"]["openshift.io/display-name"] == "granite"
    assert isvc["metadata"]["labels"]["opendatahub.io/dashboard"] == "true"


def test_vllm_runtime_matches_seed(objects):
    runtime = objects["dev"][("ServingRuntime", "vllm-runtime")]
    assert runtime["metadata"]["annotations"] == {
        "opendatahub.io/recommended-accelerators": '["nvidia.com/gpu"]',
        "openshift.io/display-name": "vLLM ServingRuntime for KServe",
    }
    assert runtime["spec"]["annotations"]["prometheus.io/port"] == "8080"
    assert runtime["spec"]["multiModel"] is False
    assert runtime["spec"]["supportedModelFormats"] == [{"name": "vLLM", "autoSelect": True}]
    [container] = runtime["spec"]["containers"]
    assert container["args"] == ["--port=8080", "--model=/mnt/models", "--served-model-name={{.Name}}"]
    assert container["env"][0] == {"name": "HF_HOME", "value": "/tmp/hf_home"}
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]


def test_qwen_on_oss_volume_matches_knative_seed(objects):
    dev = objects["dev"]
    pv, pvc = dev[("PersistentVolume", "ml-dev-llm-model")], dev[("PersistentVolumeClaim", "llm-model")]
    assert pv["spec"]["csi"]["driver"] == "ossplugin.csi.alibabacloud.com"
    assert pv["spec"]["claimRef"] == {"namespace": "ml-dev", "name": "llm-model"}
    assert pvc["spec"]["volumeName"] == "ml-dev-llm-model" and pvc["spec"]["storageClassName"] == ""
    qwen = dev[("Service", "qwen")]["spec"]["template"]
    annotations = qwen["metadata"]["annotations"]
    assert (annotations["autoscaling.knative.dev/metric"], annotations["autoscaling.knative.dev/target"], annotations["autoscaling.knative.dev/max-scale"]) == ("concurrency", "2", "3")
    [container] = qwen["spec"]["containers"]
    assert container["args"] == ["--port=8080", "--model=/mnt/models/Qwen-7B-Chat-Int8", "--served-model-name=qwen", "--max-model-len=6144", "--gpu-memory-utilization=0.95", "--quantization=gptq", "--trust-remote-code"]
    assert qwen["spec"]["volumes"] == [{"name": "model", "persistentVolumeClaim": {"claimName": "llm-model", "readOnly": True}}]


def test_llama_from_s3_uses_annotated_service_account(objects):
    prod = objects["prod"]
    llama = prod[("InferenceService", "llama-vllm")]["spec"]["predictor"]
    assert llama["model"]["storageUri"] == "s3://models/llama-3-8b"
    assert llama["serviceAccountName"] == "model-bucket-sa"
    account = prod[("ServiceAccount", "model-bucket-sa")]
    assert account["secrets"] == [{"name": "s3-credentials"}]
    assert account["metadata"]["annotations"]["serving.kserve.io/s3-endpoint"] == "s3.us-east-1.amazonaws.com"


def test_environments_differ_as_declared(objects):
    dev, prod = objects["dev"], objects["prod"]
    assert dev[("InferenceService", "granite")]["spec"]["predictor"]["minReplicas"] == 0
    assert prod[("InferenceService", "granite")]["spec"]["predictor"]["minReplicas"] == 2
    assert dev[("InferenceService", "granite")]["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Knative"
    assert prod[("InferenceService", "granite")]["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    assert ("Namespace", "ml-dev") in dev and ("Namespace", "ml-prod") not in prod
    sklearn = prod[("InferenceService", "sklearn-iris")]["spec"]["predictor"]["model"]
    assert (sklearn["runtime"], sklearn["runtimeVersion"]) == ("kserve-sklearnserver", "v0.20.0")


def test_gpu_requests_equal_limits_everywhere(objects):
    for env in objects.values():
        for (kind, _), obj in env.items():
            if kind == "InferenceService":
                resources = obj["spec"]["predictor"]["model"].get("resources", {})
                gpus = {k: v for k, v in resources.get("limits", {}).items() if "gpu" in k}
                assert gpus == {k: v for k, v in resources.get("requests", {}).items() if "gpu" in k}


def test_deployment_mode_names_follow_kserve_version():
    assert deployment_mode_value("Standard", (0, 15)) == "RawDeployment"
    assert deployment_mode_value("Knative", (0, 14, 1)) == "Serverless"
    assert deployment_mode_value("Standard", (0, 20)) == "Standard"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_built_object_passes_strict_schema_validation(objects, schemas, env):
    problems = [str(p) for obj in objects[env].values() for p in schemas.validate(obj)]
    assert problems == []


def test_strict_validation_rejects_a_typo(objects, schemas):
    isvc = objects["dev"][("InferenceService", "granite")]
    broken = {**isvc, "spec": {"predictor": {**isvc["spec"]["predictor"], "model": {**isvc["spec"]["predictor"]["model"], "storageURI": "s3://x"}}}}
    assert any("storageURI" in str(problem) for problem in schemas.validate(broken))


def test_oci_model_image_uses_the_registry_pull_secret(project, schemas):
    from modelfleet.build.environment import built_objects
    from modelfleet.resolve.environment import resolve
    from modelfleet.spec.stack_loader import load_stack

    project.write("Pulumi.dev.yaml", """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:storage:
            - name: registry
              oci: {registry: quay.io/acme/models, imagePullSecretName: quay-pull}
          modelfleet:runtimes:
            - {name: hf, builtin: huggingface, version: v0.20.0}
          modelfleet:models:
            - {name: bert, format: huggingface, runtime: hf, storage: {name: registry, path: "bert:1.0"}}
        """)
    [isvc] = [obj for obj, _ in built_objects(resolve(load_stack(Project.at(project.root), "dev")))]
    predictor = isvc["spec"]["predictor"]
    assert predictor["model"]["storageUri"] == "oci://quay.io/acme/models/bert:1.0"
    assert predictor["imagePullSecrets"] == [{"name": "quay-pull"}]
    assert schemas.validate(isvc) == []
