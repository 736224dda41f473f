"""Each serving backend compiles from a short declaration, and each of its rules is a located error."""

from __future__ import annotations


from modelfleet.build.environment import built_objects
from modelfleet.build.notices import environment_notices
from modelfleet.resolve.environment import resolve
from modelfleet.load.project import Project
from modelfleet.spec.stack_loader import load_stack
from tests.test_spec_errors import problems_of

SHARED = """
config:
  modelfleet:environment:
    platform: {knative: "1.23", kuberay: "1.7"}
  modelfleet:gpuPools:
    - {name: a100, gpuModel: NVIDIA-A100-SXM4-80GB, memoryPerGpu: 80Gi, gpusPerNode: 8}
    - {name: h100, gpuModel: NVIDIA-H100-80GB, memoryPerGpu: 80Gi, gpusPerNode: 8}
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
    objects = [obj for obj, _ in built_objects(plan)]
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
              architecture: qwen-7b
              gpu: {pool: a100}
              containerConcurrency: 4
              timeoutSeconds: 600
              scaling: {metric: concurrency, target: 2, maxReplicas: 3, minReplicas: 0, stableWindow: 90s, panicThreshold: 300, targetBurstCapacity: -1}
        """)
    service = by_kind(objects)[("Service", "qwen")]
    # Knative rejects autoscaling annotations there; the GPU-fit estimate is recorded for `modelfleet diff`
    assert service["metadata"]["annotations"] == {"modelfleet.io/kv-cache-tokens": "112688", "modelfleet.io/max-concurrency": "13.76"}
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
    # Knative owns the ConfigMap: GitOps engines merge our keys server-side and never prune or delete it
    assert features["metadata"]["annotations"] == {
        "argocd.argoproj.io/sync-options": "Prune=false,Delete=false,ServerSideApply=true",
        "kustomize.toolkit.fluxcd.io/prune": "disabled",
        "kustomize.toolkit.fluxcd.io/ssa": "Merge",
        "modelfleet.io/patch": "true",
    }
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
            - {name: llama, format: vLLM, runtime: vllm, storageUri: "s3://models/llama", gpu: {pool: a100}, architecture: llama-3-8b}
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


def test_inference_service_autoscaling_follows_its_mode(project, schemas):
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - {name: kn, format: vLLM, runtime: vllm, storageUri: "s3://m/a", deploymentMode: Knative,
               scaling: {minReplicas: 0, maxReplicas: 2, metric: rps, target: 5, stableWindow: 2m, initialReplicas: 0}}
            - {name: keda, format: vLLM, runtime: vllm, storageUri: "s3://m/a", deploymentMode: Standard,
               scaling: {maxReplicas: 4, autoscaler: keda, metric: cpu, target: 75}}
            - {name: fixed, format: vLLM, runtime: vllm, storageUri: "s3://m/a", deploymentMode: Standard,
               scaling: {minReplicas: 2, autoscaler: none}}
        """)
    isvcs = by_kind(objects)
    knative = isvcs[("InferenceService", "kn")]
    predictor = knative["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"], predictor["scaleMetric"], predictor["scaleTarget"]) == (0, 2, "rps", 5)
    assert {k: v for k, v in knative["metadata"]["annotations"].items() if k.startswith("autoscaling.")} == {
        "autoscaling.knative.dev/initial-scale": "0", "autoscaling.knative.dev/window": "2m"}
    keda = isvcs[("InferenceService", "keda")]
    assert keda["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    assert keda["spec"]["predictor"]["autoScaling"] == {"metrics": [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}}}]}
    assert isvcs[("InferenceService", "fixed")]["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "none"
    assert all(schemas.validate(obj) == [] for obj in objects)


# --- KServe multi-node ---------------------------------------------------------------------------------------------

def test_kserve_multi_node_passes_parallelism_through_worker_spec(project, schemas):
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev, deploymentMode: Standard}
          modelfleet:models:
            - name: llama-70b
              format: vLLM
              runtime: multinode
              storage: {name: models, path: llama-3-70b}
              gpu: {pool: a100, count: 8, perPod: 4}
              sharedMemory: 32Gi
              engine: {tensorParallelSize: 4, maxModelLen: 8192}
        """)
    isvc = by_kind(objects)[("InferenceService", "llama-70b")]
    predictor = isvc["spec"]["predictor"]
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "none"
    assert (predictor["workerSpec"]["tensorParallelSize"], predictor["workerSpec"]["pipelineParallelSize"]) == (4, 2)
    assert predictor["model"]["args"] == ["--max-model-len=8192"]  # TP/PP come from workerSpec, not args
    assert predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] == "4"
    assert predictor["workerSpec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "4"
    assert predictor["workerSpec"]["tolerations"] == predictor["tolerations"]
    runtime = by_kind(objects)[("ServingRuntime", "multinode")]
    assert runtime["spec"]["workerSpec"]["containers"][0]["name"] == "worker-container"
    assert runtime["spec"]["containers"][0]["command"][:2] == ["bash", "-c"]
    assert all(schemas.validate(obj) == [] for obj in objects)


def test_kserve_multi_node_rules(project):
    found = errors(project, """
    - name: mn
      format: vLLM
      runtime: multinode
      deploymentMode: Knative
      storage: {name: bucket, path: llama}
      gpu: {pool: a100, count: 8, perPod: 4}
      sharedMemory: 16Gi
      env: [{name: TENSOR_PARALLEL_SIZE, value: "4"}]
      engine: {pipelineParallelSize: 4, extraArgs: ["--tensor-parallel-size=4"]}
      scaling: {maxReplicas: 2}
    - name: single
      format: vLLM
      runtime: vllm
      storageUri: pvc://model-storage/llama
      gpu: {pool: a100, count: 8, perPod: 4}
""")
    assert found == [
        "stacks/Pulumi.dev.yaml:8:7: models[0].deploymentMode: KServe runs multi-node InferenceServices in Standard mode only, and this model runs in Knative mode; set deploymentMode: Standard",
        "stacks/Pulumi.dev.yaml:9:17: models[0].storage.name: KServe multi-node loads the model from a PVC or an OCI image on every node; use pvc:// or oci:// storage",
        "stacks/Pulumi.dev.yaml:12:14: models[0].env[0].name: KServe sets TENSOR_PARALLEL_SIZE from workerSpec on multi-node models; remove it and use engine.tensorParallelSize / pipelineParallelSize",
        "stacks/Pulumi.dev.yaml:13:16: models[0].engine.pipelineParallelSize: KServe multi-node runs pipelineParallelSize = pods per replica (2); set it to 2 or leave it out",
        "stacks/Pulumi.dev.yaml:13:53: models[0].engine.extraArgs[0]: --tensor-parallel-size comes from workerSpec on multi-node models; remove it and use engine.tensorParallelSize / pipelineParallelSize",
        "stacks/Pulumi.dev.yaml:14:17: models[0].scaling.maxReplicas: KServe multi-node InferenceServices do not autoscale; set maxReplicas to minReplicas (1)",
        "stacks/Pulumi.dev.yaml:19:35: models[1].gpu.perPod: a replica over 2 pods needs a multi-node runtime; set multiNode: true on runtime 'vllm' or remove perPod",
    ]


# --- KubeRay (seed 003) --------------------------------------------------------------------------------------------

def test_ray_service_serves_a_70b_model_over_four_nodes(project, schemas):
    objects, notices = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - name: llama-70b
              backend: ray
              runtime: ray-llm
              storage: {name: hub, path: meta-llama/Meta-Llama-3-70B-Instruct}
              architecture: llama-3-70b
              gpu: {pool: h100, count: 32, perPod: 8}
              sharedMemory: 64Gi
              engine: {tensorParallelSize: 8, pipelineParallelSize: 4, maxModelLen: 8192}
              scaling: {minReplicas: 1, maxReplicas: 2, metric: concurrency, target: 16}
        """)
    import yaml

    service = by_kind(objects)[("RayService", "llama-70b")]
    assert service["spec"]["upgradeStrategy"] == {"type": "NewCluster"}
    [app] = yaml.safe_load(service["spec"]["serveConfigV2"])["applications"]
    [llm] = app["args"]["llm_configs"]
    assert app["import_path"] == "ray.serve.llm:build_openai_app"
    assert llm["model_loading_config"] == {"model_id": "llama-70b", "model_source": "meta-llama/Meta-Llama-3-70B-Instruct"}
    assert llm["engine_kwargs"] == {"tensor_parallel_size": 8, "pipeline_parallel_size": 4, "max_model_len": 8192}
    assert llm["deployment_config"]["autoscaling_config"] == {"min_replicas": 1, "max_replicas": 2, "target_ongoing_requests": 16}
    cluster = service["spec"]["rayClusterConfig"]
    assert cluster["enableInTreeAutoscaling"] is True
    [workers] = cluster["workerGroupSpecs"]
    assert (workers["replicas"], workers["minReplicas"], workers["maxReplicas"]) == (4, 4, 8)
    assert workers["rayStartParams"] == {"num-gpus": "8"}
    pod = workers["template"]["spec"]
    assert pod["volumes"] == [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}}]
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["containers"][0]["env"] == [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}]
    assert cluster["headGroupSpec"]["rayStartParams"] == {"num-cpus": "0", "num-gpus": "0"}
    assert notices == ["dev: RayService llama-70b upgrades with NewCluster: a second cluster starts beside the old one, so an "
                       "upgrade needs up to 128 GPUs instead of 64; set ray.upgradeStrategy: None to upgrade in place (with "
                       "downtime) where GPUs are short"]
    assert all(schemas.validate(obj) == [] for obj in objects)


def test_ray_rules(project):
    found = errors(project, """
    - name: wrong-product
      backend: ray
      runtime: ray-llm
      storage: {name: models, path: llama}
      gpu: {pool: h100, count: 32, perPod: 16}
      engine: {tensorParallelSize: 8, pipelineParallelSize: 2}
    - name: no-shm
      backend: ray
      runtime: vllm
      storage: {name: bucket, path: llama}
      gpu: {pool: h100, count: 16, perPod: 8}
      engine: {tensorParallelSize: 8, pipelineParallelSize: 2, extraArgs: ["--enforce-eager"]}
""", environment="namespace: ml-dev, platform: {kuberay: null}")
    assert found == [
        "stacks/Pulumi.dev.yaml:6:7: models[0].backend: backend ray needs KubeRay on the cluster; set environment.platform.kuberay to its version",
        "stacks/Pulumi.dev.yaml:9:36: models[0].gpu.perPod: 16 GPUs per pod, but pool 'h100' nodes have 8; lower gpu.perPod",
        "stacks/Pulumi.dev.yaml:10:16: models[0].engine.tensorParallelSize: tensorParallelSize 8 x pipelineParallelSize 2 = 16 GPUs, but a replica has gpu.count 32; make TP x PP equal gpu.count",
        "stacks/Pulumi.dev.yaml:11:7: models[1].sharedMemory: 8 GPU workers share a pod and exchange tensors through /dev/shm, which is 64Mi by default; set sharedMemory, e.g. 16Gi",
        "stacks/Pulumi.dev.yaml:12:7: models[1].backend: backend ray needs KubeRay on the cluster; set environment.platform.kuberay to its version",
        "stacks/Pulumi.dev.yaml:13:7: models[1].runtime: backend ray runs Ray Serve LLM inside the engine image; runtime 'vllm' declares no vllm.rayVersion: use an image with Ray (e.g. rayproject/ray-llm) and set rayVersion",
        "stacks/Pulumi.dev.yaml:14:17: models[1].storage.name: backend ray reads models from a PVC or the Hugging Face hub; storage 'bucket' is s3, which needs KServe's storage initializer: use backend kserve, or a pvc/newPvc/huggingFace storage",
        "stacks/Pulumi.dev.yaml:16:64: models[1].engine.extraArgs: extraArgs are command-line arguments and engine kwargs cannot carry them; use the typed options",
    ]


def test_standalone_ray_cluster(project, schemas):
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:rayClusters:
            - name: llm-cluster
              image: rayproject/ray-ml:2.9.0-gpu
              rayVersion: "2.9.0"
              autoscaling: true
              workerGroups:
                - {name: h100, pool: h100, gpusPerWorker: 8, replicas: 3, minReplicas: 1, maxReplicas: 4, sharedMemory: 64Gi}
        """)
    cluster = by_kind(objects)[("RayCluster", "llm-cluster")]["spec"]
    [group] = cluster["workerGroupSpecs"]
    assert (cluster["rayVersion"], cluster["enableInTreeAutoscaling"]) == ("2.9.0", True)
    assert (group["groupName"], group["replicas"], group["minReplicas"], group["maxReplicas"]) == ("h100", 3, 1, 4)
    assert group["template"]["spec"]["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": "8"}
    assert group["template"]["spec"]["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB"}
    assert all(schemas.validate(obj) == [] for obj in objects)


def test_standalone_ray_cluster_rules(project):
    found = problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:rayClusters:
            - name: c
              image: rayproject/ray-ml:2.9.0-gpu
              rayVersion: "2.9.0"
              workerGroups:
                - {name: big, pool: h100, gpusPerWorker: 16}
                - {name: nope, pool: b200, gpusPerWorker: 1}
        """, shared=SHARED)
    assert found == [
        "stacks/Pulumi.dev.yaml:8:11: rayClusters[0].workerGroups[0].sharedMemory: 16 GPU workers share a pod and exchange tensors through /dev/shm, which is 64Mi by default; set sharedMemory, e.g. 16Gi",
        "stacks/Pulumi.dev.yaml:8:35: rayClusters[0].workerGroups[0].gpusPerWorker: 16 GPUs per worker, but pool 'h100' nodes have 8; lower gpusPerWorker",
        "stacks/Pulumi.dev.yaml:9:24: rayClusters[0].workerGroups[1].pool: unknown GPU pool 'b200'; defined: a100, h100",
    ]
    assert problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:rayClusters:
            - {name: c, image: "ray:2.9.0", rayVersion: "2.9.0", workerGroups: [{name: g, pool: a100, gpusPerWorker: 1, replicas: 5, maxReplicas: 2}]}
        """, shared=SHARED) == [
        "stacks/Pulumi.dev.yaml:4:73: rayClusters[0].workerGroups[0]: replicas 5 is above maxReplicas 2; lower replicas or raise maxReplicas",
    ]


# --- Deployments (seed 003) ----------------------------------------------------------------------------------------

def test_vllm_and_tgi_deployments_match_the_seed(project, schemas):
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-serving}
          modelfleet:models:
            - name: vllm-llama
              backend: deployment
              runtime: vllm
              storage: {name: models, path: llama-3-70b}
              gpu: {pool: a100, count: 4}
              sharedMemory: 32Gi
              engine: {tensorParallelSize: 4, maxModelLen: 8192, gpuMemoryUtilization: 0.9, enablePrefixCaching: true,
                       enableChunkedPrefill: true, maxNumSeqs: 256, quantization: awq}
              scaling: {minReplicas: 2, maxReplicas: 4, metric: cpu, target: 80}
            - name: tgi-mistral
              backend: deployment
              runtime: tgi
              storage: {name: hub, path: mistralai/Mistral-7B-Instruct-v0.3}
              gpu: {pool: a100, count: 2}
              sharedMemory: 16Gi
              tgi: {numShard: 2, maxBatchSize: 64, maxInputTokens: 4096, maxTotalTokens: 8192, quantize: awq,
                    trustRemoteCode: true, maxConcurrentRequests: 128}
            - name: tgi-new
              backend: knative
              runtime: tgi3
              storage: {name: hub, path: mistralai/Mistral-7B-Instruct-v0.3}
        """)
    found = by_kind(objects)
    vllm = found[("Deployment", "vllm-llama")]
    [container] = vllm["spec"]["template"]["spec"]["containers"]
    assert container["args"] == [
        "--port=8080", "--model=/mnt/models/llama-3-70b", "--served-model-name=vllm-llama", "--tensor-parallel-size=4",
        "--max-model-len=8192", "--gpu-memory-utilization=0.9", "--max-num-seqs=256", "--enable-prefix-caching",
        "--enable-chunked-prefill", "--quantization=awq",
    ]
    assert container["resources"]["requests"]["nvidia.com/gpu"] == container["resources"]["limits"]["nvidia.com/gpu"] == "4"
    assert [mount["mountPath"] for mount in container["volumeMounts"]] == ["/mnt/models", "/dev/shm"]
    assert vllm["spec"]["template"]["spec"]["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
    assert vllm["spec"]["selector"] == {"matchLabels": {"modelfleet.io/model": "vllm-llama"}}
    assert found[("Service", "vllm-llama")]["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    hpa = found[("HorizontalPodAutoscaler", "vllm-llama")]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"], hpa["metrics"][0]["resource"]["name"]) == (2, 4, "cpu")

    tgi = found[("Deployment", "tgi-mistral")]
    [container] = tgi["spec"]["template"]["spec"]["containers"]
    assert "command" not in container  # the image's launcher entrypoint
    assert container["args"] == [
        "--port=8080", "--model-id=mistralai/Mistral-7B-Instruct-v0.3", "--num-shard=2", "--max-batch-size=64",
        "--max-input-tokens=4096", "--max-total-tokens=8192", "--max-concurrent-requests=128", "--quantize=awq",
        "--trust-remote-code",
    ]
    token = {"secretKeyRef": {"name": "hf-token", "key": "token"}}
    assert container["env"] == [{"name": "HUGGING_FACE_HUB_TOKEN", "valueFrom": token}]  # TGI before 2.1.0
    assert ("HorizontalPodAutoscaler", "tgi-mistral") not in found
    [new] = found[("Service", "tgi-new")]["spec"]["template"]["spec"]["containers"]
    assert new["env"] == [{"name": "HF_TOKEN", "valueFrom": token}]
    assert all(schemas.validate(obj) == [] for obj in objects)


def test_deployment_and_engine_rules(project):
    found = errors(project, """
    - name: from-s3
      backend: deployment
      runtime: vllm
      format: vLLM
      storage: {name: bucket, path: llama}
      gpu: {pool: a100, count: 4, perPod: 2}
      engine: {tensorParallelSize: 4}
    - name: tgi-on-kserve
      format: vLLM
      runtime: tgi
      storageUri: s3://m/a
      engine: {maxModelLen: 4096}
    - name: builtin-deploy
      backend: deployment
      runtime: vllm
      storageUri: gs://bucket/model
      args: ["--foo"]
""")
    assert found == [
        "stacks/Pulumi.dev.yaml:8:7: models[0].format: format is read by KServe only, and this model uses backend deployment; remove it",
        "stacks/Pulumi.dev.yaml:9:17: models[0].storage.name: backend deployment reads models from a PVC or the Hugging Face hub; storage 'bucket' is s3, which needs KServe's storage initializer: use backend kserve, or a pvc/newPvc/huggingFace storage",
        "stacks/Pulumi.dev.yaml:10:35: models[0].gpu.perPod: backend deployment runs a replica in one pod; a replica over 2 pods needs backend ray or a multiNode vLLM runtime on kserve; remove perPod or change the backend",
        "stacks/Pulumi.dev.yaml:14:7: models[1].runtime: runtime 'tgi' is TGI, which runs on the knative and deployment backends; set backend: deployment or knative, or use a vLLM runtime",
        "stacks/Pulumi.dev.yaml:16:7: models[1].engine: engine options are for vLLM runtimes; runtime 'tgi' is TGI: use tgi",
        "stacks/Pulumi.dev.yaml:20:7: models[2].storageUri: backend deployment reads models from a PVC (pvc://claim/path) or the Hugging Face hub (hf://org/model); gs:// needs KServe's storage initializer: use backend kserve, or copy the model to a PVC",
        "stacks/Pulumi.dev.yaml:21:7: models[2].args: a vLLM model takes typed engine options; move these to engine.extraArgs",
    ]


def test_a_cluster_scoped_runtime_carries_the_environments_namespace(project, schemas):
    """Two environments on one cluster must not both own (and a GitOps engine prune) one ClusterServingRuntime."""
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:runtimes:
            - name: shared-vllm
              scope: Cluster
              vllm: {image: "vllm/vllm-openai:v0.6.3", version: "0.6.3"}
          modelfleet:models:
            - {name: llama, format: vLLM, runtime: shared-vllm, storageUri: "s3://models/llama", gpu: {pool: a100}, architecture: llama-3-8b}
        """)
    runtime = by_kind(objects)[("ClusterServingRuntime", "ml-dev-shared-vllm")]
    assert "namespace" not in runtime["metadata"]
    assert by_kind(objects)[("InferenceService", "llama")]["spec"]["predictor"]["model"]["runtime"] == "ml-dev-shared-vllm"
    assert all(schemas.validate(obj) == [] for obj in objects)
