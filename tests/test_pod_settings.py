"""Pod settings (environment.pod under models[].pod, rayClusters[].pod) on every backend, their merge, their Knative
feature flags, and each rule as a located error."""

from __future__ import annotations

import textwrap

from modelfleet.build.environment import built_objects
from modelfleet.build.knative_features import required_features
from modelfleet.build.notices import environment_notices
from modelfleet.load.project import Project
from modelfleet.resolve.environment import resolve
from modelfleet.spec.stack_loader import load_stack
from tests.test_spec_errors import problems_of

SHARED = """
config:
  modelfleet:environment:
    platform: {knative: "1.23", kuberay: "1.7"}
  modelfleet:gpuPools:
    - {name: a100, gpuModel: NVIDIA-A100-SXM4-80GB, memoryPerGpu: 80Gi, gpusPerNode: 8}
  modelfleet:storage:
    - {name: models, pvc: {claimName: model-storage}}
    - {name: hub, huggingFace: {tokenSecretName: hf-token}}
  modelfleet:runtimes:
    - {name: vllm, vllm: {image: "vllm/vllm-openai:v0.6.3", version: "0.6.3"}}
    - {name: ray-llm, vllm: {image: "rayproject/ray-llm:2.52.0-py311-cu128", version: "0.11.0", rayVersion: "2.52.0"}}
    - {name: tgi, tgi: {image: "ghcr.io/huggingface/text-generation-inference:2.0.4", version: "2.0.4"}}
    - {name: sklearn, builtin: sklearn, version: v0.20.0}
    - {name: tf, builtin: tensorflow, version: "2.6.2"}
    - {name: triton, builtin: triton, version: "23.05-py3"}
"""

AFFINITY = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
    "weight": 100,
    "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"modelfleet.io/model": "llama"}}},
}]}}
SPREAD = {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
          "labelSelector": {"matchLabels": {"modelfleet.io/model": "llama"}}}


def compile_dev(project, stack_text: str) -> tuple[dict, list[str]]:
    project.write("shared.yaml", SHARED)
    project.write("Pulumi.dev.yaml", stack_text)
    plan = resolve(load_stack(Project.at(project.root), "dev"))
    objects = [obj for obj, _ in built_objects(plan)]
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}, environment_notices(plan, objects)


def errors(project, body: str) -> list[str]:
    return problems_of(project, "config:\n" + body, shared=SHARED)


ENVIRONMENT_POD = textwrap.indent("""
  modelfleet:environment:
    namespace: ml-dev
    deploymentMode: Standard
    pod:
      nodeSelector: {topology.kubernetes.io/region: eu-west-1, node-class: inference}
      tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]
      imagePullSecrets: [registry-creds]
      priorityClassName: inference-low
      volumes:
        - {name: config, mountPath: /etc/serving, configMap: serving-config}
        - {name: cache, mountPath: /cache, emptyDir: {sizeLimit: 10Gi}}""", " " * 8)


def test_deployment_merges_environment_defaults_under_the_models_own(project, schemas):
    objects, _ = compile_dev(project, f"""
        config:{ENVIRONMENT_POD}
          modelfleet:models:
            - name: llama
              backend: deployment
              runtime: vllm
              storage: {{name: models, path: llama-3-8b}}
              gpu: {{pool: a100}}
              deployment: {{serviceName: vllm-service, servicePort: 8000, containerPort: 8000, modelMountPath: /models}}
              pod:
                nodeSelector: {{node-class: gpu-inference}}
                affinity: {AFFINITY}
                topologySpreadConstraints: [{SPREAD}]
                tolerations: [{{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}}, {{key: spot, operator: Exists}}]
                imagePullSecrets: [registry-creds, engine-pull]
                priorityClassName: inference-high
                volumes:
                  - {{name: cache, mountPath: /data, pvc: hub-cache}}
                  - {{name: token, mountPath: /var/run/tokens, secret: api-tokens, subPath: tokens}}
                securityContext: {{runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, readOnlyRootFilesystem: true, dropAllCapabilities: true}}
                probes:
                  startup: {{failureThreshold: 360}}
                  liveness: {{path: /ping, timeoutSeconds: 10}}
                rollout: {{maxSurge: 0, maxUnavailable: 1}}
        """)
    deployment = objects[("Deployment", "llama")]
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert {key: value for key, value in pod.items() if key != "containers"} == {
        "imagePullSecrets": [{"name": "registry-creds"}, {"name": "engine-pull"}],
        "nodeSelector": {"node-class": "gpu-inference", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB", "topology.kubernetes.io/region": "eu-west-1"},
        "tolerations": [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"},
            {"key": "spot", "operator": "Exists", "effect": "NoSchedule"},
        ],
        "affinity": AFFINITY,
        "topologySpreadConstraints": [SPREAD],
        "priorityClassName": "inference-high",
        "securityContext": {"fsGroup": 1000},
        "volumes": [
            {"name": "model", "persistentVolumeClaim": {"claimName": "model-storage", "readOnly": True}},
            {"name": "config", "configMap": {"name": "serving-config"}},
            {"name": "cache", "persistentVolumeClaim": {"claimName": "hub-cache"}},
            {"name": "token", "secret": {"secretName": "api-tokens"}},
            {"name": "tmp", "emptyDir": {}},
        ],
    }
    assert container["args"][:2] == ["--port=8000", "--model=/models/llama-3-8b"]
    assert container["env"] == [{"name": "HOME", "value": "/tmp"}]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert container["volumeMounts"] == [
        {"name": "model", "mountPath": "/models", "readOnly": True},
        {"name": "config", "mountPath": "/etc/serving", "readOnly": True},
        {"name": "cache", "mountPath": "/data"},
        {"name": "token", "mountPath": "/var/run/tokens", "subPath": "tokens", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    assert container["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert (container["readinessProbe"], container["startupProbe"], container["livenessProbe"]) == (
        {"httpGet": {"path": "/health", "port": "http"}, "initialDelaySeconds": 5, "periodSeconds": 10, "failureThreshold": 3},
        {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10, "failureThreshold": 360},
        {"httpGet": {"path": "/ping", "port": "http"}, "periodSeconds": 30, "timeoutSeconds": 10, "failureThreshold": 3},
    )
    service = objects[("Service", "vllm-service")]
    assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    for obj in objects.values():
        assert schemas.validate(obj) == []


def test_kserve_standard_predictor_and_worker_take_the_pod_settings(project, schemas):
    objects, _ = compile_dev(project, f"""
        config:{ENVIRONMENT_POD}
          modelfleet:models:
            - name: iris
              format: sklearn
              runtime: sklearn
              storageUri: gs://kfserving-examples/models/sklearn/1.0/model
              pod:
                volumes: [{{name: cache, mountPath: /cache, emptyDir: {{medium: Memory}}}}]
                securityContext: {{runAsNonRoot: true, seccompProfile: RuntimeDefault, allowPrivilegeEscalation: false}}
                probes: {{readiness: {{path: /v1/models/iris, periodSeconds: 5}}}}
                rollout: {{maxSurge: "50%"}}
        """)
    predictor = objects[("InferenceService", "iris")]["spec"]["predictor"]
    model = predictor["model"]
    assert {key: value for key, value in predictor.items() if key != "model"} == {
        "minReplicas": 1,
        "maxReplicas": 1,
        "deploymentStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%"}},
        "imagePullSecrets": [{"name": "registry-creds"}],
        "nodeSelector": {"node-class": "inference", "topology.kubernetes.io/region": "eu-west-1"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}],
        "priorityClassName": "inference-low",
        "volumes": [{"name": "config", "configMap": {"name": "serving-config"}}, {"name": "cache", "emptyDir": {"medium": "Memory"}}],
    }
    assert model["volumeMounts"] == [{"name": "config", "mountPath": "/etc/serving", "readOnly": True}, {"name": "cache", "mountPath": "/cache"}]
    assert model["securityContext"] == {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}
    # only the probe the model changes: the runtime (KServe's here) keeps the others
    assert model["readinessProbe"] == {"httpGet": {"path": "/v1/models/iris", "port": 8080}, "periodSeconds": 5, "failureThreshold": 3}
    assert "startupProbe" not in model and "livenessProbe" not in model
    assert schemas.validate(objects[("InferenceService", "iris")]) == []


def test_vllm_serving_runtime_has_engine_probes_and_protocol_versions(project):
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
        """)
    runtime = objects[("ServingRuntime", "vllm")]["spec"]
    assert runtime["protocolVersions"] == ["v1"]
    [container] = runtime["containers"]
    assert {key: value for key, value in container.items() if key.endswith("Probe")} == {
        "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}, "initialDelaySeconds": 5, "periodSeconds": 10, "failureThreshold": 3},
        "startupProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10, "failureThreshold": 180},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 3},
    }


def test_knative_pods_need_the_matching_feature_flags(project, schemas):
    objects, notices = compile_dev(project, f"""
        config:
          modelfleet:environment: {{namespace: ml-dev, platform: {{manageKnativeFeatures: true}}}}
          modelfleet:models:
            - name: qwen
              backend: knative
              runtime: vllm
              storage: {{name: models, path: qwen}}
              architecture: qwen-7b
              gpu: {{pool: a100}}
              pod:
                affinity: {AFFINITY}
                topologySpreadConstraints: [{SPREAD}]
                priorityClassName: inference-high
                securityContext: {{fsGroup: 2000}}
                volumes: [{{name: scratch, mountPath: /scratch, pvc: scratch-space}}]
                probes: {{readiness: {{tcp: true, initialDelaySeconds: 5, periodSeconds: 5}}}}
        """)
    service = objects[("Service", "qwen")]
    assert required_features(list(objects.values())) == {
        "kubernetes.podspec-affinity": ["qwen"],
        "kubernetes.podspec-nodeselector": ["qwen"],
        "kubernetes.podspec-persistent-volume-claim": ["qwen"],
        "kubernetes.podspec-persistent-volume-write": ["qwen"],
        "kubernetes.podspec-priorityclassname": ["qwen"],
        "kubernetes.podspec-securitycontext": ["qwen"],
        "kubernetes.podspec-tolerations": ["qwen"],
        "kubernetes.podspec-topologyspreadconstraints": ["qwen"],
    }
    assert objects[("ConfigMap", "config-features")]["data"] == {flag: "enabled" for flag in required_features(list(objects.values()))}
    [container] = service["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"] == {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "periodSeconds": 5, "failureThreshold": 3}
    assert schemas.validate(service) == []
    assert notices == []


def test_ray_head_and_workers_take_the_pod_settings_and_a_head_may_have_gpus(project, schemas):
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
            pod: {imagePullSecrets: [registry-creds], securityContext: {readOnlyRootFilesystem: true}}
          modelfleet:rayClusters:
            - name: batch
              image: rayproject/ray-ml:2.9.0-gpu
              rayVersion: "2.9.0"
              headGpu: {pool: a100, count: 8}
              workerGroups: [{name: workers, pool: a100, gpusPerWorker: 1}]
              pod: {nodeSelector: {node-class: batch}}
        """)
    spec = objects[("RayCluster", "batch")]["spec"]
    head = spec["headGroupSpec"]
    assert head["rayStartParams"] == {"num-gpus": "8"}
    pod = head["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "registry-creds"}]
    assert pod["nodeSelector"] == {"node-class": "batch", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {}}]
    [container] = pod["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "8"},
        "limits": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "8"},
    }
    assert (container["env"], container["securityContext"]) == ([{"name": "HOME", "value": "/tmp"}], {"readOnlyRootFilesystem": True})
    worker = spec["workerGroupSpecs"][0]["template"]["spec"]
    assert worker["nodeSelector"] == pod["nodeSelector"] and worker["volumes"] == [{"name": "tmp", "emptyDir": {}}]
    assert schemas.validate(objects[("RayCluster", "batch")]) == []


def test_custom_ray_serve_applications_replace_ray_serve_llm(project, schemas):
    objects, _ = compile_dev(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - name: apps
              backend: ray
              runtime: ray-llm
              storage: {name: hub, path: meta-llama/Meta-Llama-3-8B-Instruct}
              gpu: {pool: a100, count: 2}
              sharedMemory: 8Gi
              scaling: {minReplicas: 1, maxReplicas: 2}
              ray:
                applications:
                  - name: chat
                    importPath: chat.app:deployment
                    runtimeEnv: {pip: [httpx==0.27.0]}
                    deployments:
                      - {name: Chat, numReplicas: 1, maxOngoingRequests: 16, rayActorOptions: {numGpus: 2}, userConfig: {temperature: 0.2}}
                  - name: embed
                    importPath: embed:app
                    routePrefix: /embed
                    args: {model: BAAI/bge-small-en-v1.5}
                    deployments: [{name: Embed, rayActorOptions: {numGpus: 0.5, numCpus: 1}}]
        """)
    service = objects[("RayService", "apps")]
    assert service["spec"]["serveConfigV2"] == """\
applications:
- name: chat
  import_path: chat.app:deployment
  route_prefix: /
  runtime_env:
    pip:
    - httpx==0.27.0
  deployments:
  - name: Chat
    num_replicas: 1
    max_ongoing_requests: 16
    ray_actor_options:
      num_gpus: 2
    user_config:
      temperature: 0.2
- name: embed
  import_path: embed:app
  route_prefix: /embed
  args:
    model: BAAI/bge-small-en-v1.5
  deployments:
  - name: Embed
    ray_actor_options:
      num_gpus: 0.5
      num_cpus: 1
"""
    assert schemas.validate(service) == []


def test_every_pod_setting_rule_is_a_located_error(project):
    found = errors(project, """
  modelfleet:environment:
    namespace: ml-dev
    pod:
      affinity: {nodeAfinity: {}}
      volumes: [{name: logs, mountPath: /var/log, emptyDir: {}}]
  modelfleet:models:
    - name: kn
      backend: knative
      runtime: vllm
      storage: {name: models, path: a}
      gpu: {pool: a100}
      pod:
        nodeSelector: {nvidia.com/gpu.product: Tesla-T4}
        topologySpreadConstraints: [{maxSkew: 1, whenUnsatisfiable: DoNotSchedule}]
        securityContext: {readOnlyRootFilesystem: true}
        rollout: {maxSurge: 1}
    - name: dep
      backend: deployment
      runtime: tgi
      storage: {name: hub, path: org/model}
      gpu: {pool: a100}
      pod:
        volumes:
          - {name: model, mountPath: /extra, emptyDir: {}}
          - {name: again, mountPath: /dev/shm, emptyDir: {}}
        securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true}
    - name: ray
      backend: ray
      runtime: ray-llm
      storage: {name: hub, path: org/model}
      gpu: {pool: a100, count: 2}
      sharedMemory: 8Gi
      engine: {tensorParallelSize: 2}
      deployment: {serviceName: other}
      pod:
        probes: {readiness: {path: /health}}
        rollout: {maxSurge: 1}
    - name: iris
      format: sklearn
      runtime: sklearn
      storageUri: gs://bucket/iris
      pod: {probes: {liveness: {periodSeconds: 5}}}
""")
    assert found == [
        "stacks/Pulumi.dev.yaml:6:7: environment.pod.affinity: unknown field 'nodeAfinity'; write a Kubernetes Affinity (nodeAffinity, podAffinity, podAntiAffinity)",
        "stacks/Pulumi.dev.yaml:7:30: environment.pod.volumes[0].mountPath: Knative reserves /var/log and refuses its pods with a mount there; mount the volume elsewhere",
        "stacks/Pulumi.dev.yaml:15:24: models[0].pod.nodeSelector.nvidia.com/gpu.product: the GPU pool selects nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB; Tesla-T4 would leave the pods unschedulable; remove the key or use another GPU pool",
        "stacks/Pulumi.dev.yaml:16:37: models[0].pod.topologySpreadConstraints[0]: 'topologyKey' is a required property; write a Kubernetes TopologySpreadConstraint (maxSkew, topologyKey, whenUnsatisfiable, labelSelector)",
        "stacks/Pulumi.dev.yaml:17:27: models[0].pod.securityContext.readOnlyRootFilesystem: the engine needs a writable /tmp, which Knative reserves, so backend knative cannot run with a read-only root filesystem; remove readOnlyRootFilesystem",
        "stacks/Pulumi.dev.yaml:18:9: models[0].pod.rollout: rollout is for pods of a Deployment; backend knative is not (Knative rolls out revisions itself); remove rollout",
        "stacks/Pulumi.dev.yaml:26:14: models[1].pod.volumes[0].name: volume name model is the compiler's own (model, shm, tmp); choose another name",
        "stacks/Pulumi.dev.yaml:27:27: models[1].pod.volumes[1].mountPath: /dev/shm is already mounted (the compiler's own mount); mount the volume elsewhere",
        "stacks/Pulumi.dev.yaml:28:27: models[1].pod.securityContext.runAsNonRoot: the tgi image runs as root (it sets no user), so the pod would not start; set runAsUser (e.g. 1000) with runAsNonRoot",
        "stacks/Pulumi.dev.yaml:28:47: models[1].pod.securityContext.readOnlyRootFilesystem: TGI writes weights to /data; mount a volume there (e.g. a PVC as hub cache) or remove readOnlyRootFilesystem",
        "stacks/Pulumi.dev.yaml:36:7: models[2].deployment: deployment options are for backend deployment, and this model uses backend ray; remove deployment",
        "stacks/Pulumi.dev.yaml:38:9: models[2].pod.probes: KubeRay sets the probes of the Ray containers of a RayService; remove probes",
        "stacks/Pulumi.dev.yaml:39:9: models[2].pod.rollout: rollout is for pods of a Deployment; a RayService is not (KubeRay's upgradeStrategy (ray.upgradeStrategy) decides how it is replaced); remove rollout",
        "stacks/Pulumi.dev.yaml:44:22: models[3].pod.probes.liveness: the image's health endpoint is not known to modelfleet; set path (HTTP GET) or tcp: true",
    ]


def test_spec_level_pod_rules(project):
    found = errors(project, """
  modelfleet:environment:
    namespace: ml-dev
    pod:
      volumes: [{name: two, mountPath: /x, pvc: a, secret: b}, {name: none, mountPath: relative, emptyDir: {}}]
      probes: {readiness: {tcp: true, path: /health}}
      rollout: {maxSurge: 0, maxUnavailable: "0%"}
""")
    assert found == [
        "stacks/Pulumi.dev.yaml:6:17: environment.pod.volumes[0]: set exactly one source of pvc, configMap, secret or emptyDir (found pvc, secret)",
        "stacks/Pulumi.dev.yaml:6:77: environment.pod.volumes[1].mountPath: the string 'relative' must match ^/[^\\s]*$",
        "stacks/Pulumi.dev.yaml:7:16: environment.pod.probes.readiness: path is for HTTP probes; remove path or tcp",
        "stacks/Pulumi.dev.yaml:8:7: environment.pod.rollout: maxSurge 0 needs maxUnavailable of at least 1, or the rollout never starts; set maxUnavailable: 1",
    ]


def test_backend_gaps_are_located_errors(project):
    found = errors(project, """
  modelfleet:environment: {namespace: ml-dev}
  modelfleet:models:
    - {name: tf, format: tensorflow, runtime: tf, storageUri: gs://b/tf, protocolVersion: v2}
    - {name: trt, format: onnx, runtime: triton, storageUri: gs://b/onnx}
    - {name: llm, format: vLLM, runtime: vllm, storageUri: gs://b/llm, protocolVersion: grpc-v2}
    - {name: dep, backend: deployment, runtime: vllm, storage: {name: models, path: a}, deployment: {serviceName: tf}}
    - name: apps
      backend: ray
      runtime: ray-llm
      storage: {name: hub, path: org/model}
      gpu: {pool: a100, count: 2}
      sharedMemory: 8Gi
      engine: {maxModelLen: 4096}
      ray:
        applications:
          - {name: a, importPath: "a:app", deployments: [{name: A, numReplicas: 2, rayActorOptions: {numGpus: 2}}]}
          - {name: b, importPath: "b:app", deployments: [{name: B, rayActorOptions: {numGpus: 4}}]}
""")
    assert found == [
        "stacks/Pulumi.dev.yaml:5:74: models[0].protocolVersion: runtime 'tf' is KServe's tensorflow runtime, which serves protocol v1 or grpc-v1, not v2; set protocolVersion to one of them or change the runtime",
        "stacks/Pulumi.dev.yaml:6:33: models[1].runtime: runtime 'triton' is KServe's triton runtime, which serves protocol v2 or grpc-v2, and KServe gives a model without protocolVersion v1; set protocolVersion: v2",
        "stacks/Pulumi.dev.yaml:7:72: models[2].protocolVersion: runtime 'vllm' is a vLLM runtime (the OpenAI-compatible server), which serves protocol v1, not grpc-v2; set protocolVersion to one of them or change the runtime",
        "stacks/Pulumi.dev.yaml:8:102: models[3].deployment.serviceName: Service name tf is taken by model tf; choose another serviceName",
        "stacks/Pulumi.dev.yaml:15:7: models[4].engine: engine options configure the built-in Ray Serve LLM application, and this model runs its own ray.applications; pass engine settings in their userConfig or args and remove engine",
        "stacks/Pulumi.dev.yaml:17:9: models[4].ray.applications: the applications' replicas ask for 8 GPUs, but the cluster has 2 at most (scaling.maxReplicas x gpu.count); lower numReplicas or numGpus, or raise scaling.maxReplicas",
        "stacks/Pulumi.dev.yaml:19:13: models[4].ray.applications[1].routePrefix: route / is already application a's; give each application its own routePrefix",
        "stacks/Pulumi.dev.yaml:19:86: models[4].ray.applications[1].deployments[0].rayActorOptions.numGpus: a replica is one Ray actor on one node, and a worker pod has 2 GPUs; request at most 2 (spread larger engines with placement groups inside the application, e.g. vLLM's Ray executor)",
    ]
