"""Every case of the seed documents is in the example stacks, and compiles to the seed's manifest in intent."""

from __future__ import annotations

import pytest
import yaml

from modelfleet.compile import compile_environments
from modelfleet.load.project import Project
from tests.conftest import ENVIRONMENTS, ROOT


@pytest.fixture(scope="module")
def objects():
    project = Project.at(ROOT)
    return {item.env: {(o["kind"], o["metadata"]["name"]): o for o in item.objects} for item in compile_environments(project, list(ENVIRONMENTS), None)}


def test_seed_000_openshift_ai_annotations(objects):
    annotations = objects["staging"][("InferenceService", "granite")]["metadata"]["annotations"]
    assert {key: annotations[key] for key in annotations if "openshift" in key or "istio" in key} == {
        "openshift.io/display-name": "granite",
        "serving.knative.openshift.io/enablePassthrough": "true",
        "sidecar.istio.io/inject": "true",
        "sidecar.istio.io/rewriteAppHTTPProbers": "true",
    }


def test_seed_002_speculative_decoding_and_vision_language_model(objects):
    staging = objects["staging"]
    assert staging[("InferenceService", "llama-ngram")]["spec"]["predictor"]["model"]["args"] == [
        "--max-model-len=8192", "--speculative-model=[ngram]", "--num-speculative-tokens=5", "--ngram-prompt-lookup-max=4",
    ]
    draft = staging[("InferenceService", "llama-draft")]["spec"]["predictor"]["model"]
    assert draft["storage"] == {"key": "aws-connection-my-storage", "path": "models/llama-3.1-8b/"}
    assert draft["args"] == [
        "--distributed-executor-backend=mp", "--max-model-len=16384", "--speculative-model=/mnt/models/draft", "--num-speculative-tokens=5",
    ]
    vlm = staging[("InferenceService", "qwen2-vl")]["spec"]["predictor"]["model"]
    assert (vlm["storageUri"], vlm["args"]) == ("hf://Qwen/Qwen2-VL-7B-Instruct", ["--max-model-len=32768", "--trust-remote-code", "--limit-mm-per-prompt=image=4"])


def test_seed_003_vllm_deployment_service_and_mount(objects):
    prod = objects["prod"]
    container = prod[("Deployment", "vllm-llama")]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:2] == ["--port=8000", "--model=/models/llama-3-70b"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert {"name": "model", "mountPath": "/models", "readOnly": True} in container["volumeMounts"]
    service = prod[("Service", "vllm-llama")]["spec"]
    assert (service["selector"], service["ports"]) == ({"modelfleet.io/model": "vllm-llama"}, [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}])


def test_seed_003_tgi_hub_cache_volume(objects):
    pod = objects["staging"][("Deployment", "tgi-mistral")]["spec"]["template"]["spec"]
    assert {"name": "cache", "persistentVolumeClaim": {"claimName": "tgi-cache"}} in pod["volumes"]
    assert {"name": "cache", "mountPath": "/data"} in pod["containers"][0]["volumeMounts"]


def test_seed_003_ray_cluster_head_with_gpus(objects):
    head = objects["staging"][("RayCluster", "llm-cluster")]["spec"]["headGroupSpec"]
    assert head["rayStartParams"] == {"num-gpus": "8"}
    pod = head["template"]["spec"]
    assert pod["containers"][0]["resources"] == {
        "requests": {"cpu": "32", "memory": "512Gi", "nvidia.com/gpu": "8"},
        "limits": {"cpu": "64", "memory": "768Gi", "nvidia.com/gpu": "8"},
    }
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB"}


def test_seed_003_ray_service_runs_its_own_application(objects):
    service = objects["staging"][("RayService", "llama-70b-service")]["spec"]
    assert yaml.safe_load(service["serveConfigV2"]) == {"applications": [{
        "name": "llm",
        "import_path": "vllm_ray:deployment",
        "route_prefix": "/",
        "runtime_env": {"working_dir": "https://github.com/acme/serve-apps/archive/refs/tags/v1.4.0.zip"},
        "deployments": [{
            "name": "VLLMDeployment",
            "num_replicas": 1,
            "ray_actor_options": {"num_gpus": 0, "num_cpus": 1},
            "user_config": {"model": "meta-llama/Meta-Llama-3-70B-Instruct", "tensor_parallel_size": 8, "pipeline_parallel_size": 4},
        }],
    }]}
    [workers] = service["rayClusterConfig"]["workerGroupSpecs"]
    assert (workers["replicas"], workers["rayStartParams"]) == (4, {"num-gpus": "8"})


def test_seed_004_knative_service_tcp_readiness_probe(objects):
    [container] = objects["dev"][("Service", "qwen")]["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"] == {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "periodSeconds": 5, "failureThreshold": 3}


def test_prod_rolls_the_gpu_deployment_without_spare_gpus(objects):
    strategy = objects["prod"][("Deployment", "vllm-llama")]["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
