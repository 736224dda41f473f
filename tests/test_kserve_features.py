"""KServe's serving features (seed 001): canary, transformer, explainer, logger, batcher, auth and metrics compile per
deployment mode, KServe version and platform, and every rule the webhook holds is a located error."""

from __future__ import annotations

import pytest

from tests.test_backends import SHARED, by_kind, compile_dev
from tests.test_spec_errors import problems_of

SKLEARN = """
  modelfleet:runtimes:
    - {name: sklearn, builtin: sklearn, version: v0.20.0}
"""


def _stack(environment: str, models: str, runtimes: str) -> str:
    return f"config:\n  modelfleet:environment: {{{environment}}}\n{runtimes.lstrip(chr(10))}  modelfleet:models:\n{models}"


def _isvc(project, environment: str, models: str, runtimes: str = "") -> dict:
    objects, _ = compile_dev(project, _stack(environment, models, runtimes))
    return by_kind(objects)


def errors(project, models: str, environment: str = "namespace: ml-dev", runtimes: str = "") -> list[str]:
    return problems_of(project, _stack(environment, models, runtimes), shared=SHARED)


LLAMA = """    - name: llama
      format: vLLM
      runtime: vllm
      storage: {name: bucket, path: llama}
"""


def test_knative_canary_is_the_predictor_with_canary_traffic_percent(project, schemas):
    isvc = _isvc(project, "namespace: ml-dev", LLAMA + "      canary: {trafficPercent: 10, engine: {maxModelLen: 4096}}\n")[("InferenceService", "llama")]
    predictor = isvc["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 10
    assert predictor["model"]["args"] == ["--max-model-len=4096"]
    assert "canary" not in isvc["spec"]
    assert schemas.validate(isvc) == []


def test_standard_canary_is_a_named_predictor_with_fixed_replicas(project, schemas):
    isvc = _isvc(project, "namespace: ml-dev, deploymentMode: Standard",
                 LLAMA + "      scaling: {minReplicas: 2, maxReplicas: 4}\n      canary: {trafficPercent: 25, name: next, storage: {name: bucket, path: llama-v2}}\n")[("InferenceService", "llama")]
    assert "canaryTrafficPercent" not in isvc["spec"]["predictor"]
    [canary] = isvc["spec"]["canary"]
    assert canary["trafficPercent"] == 25
    assert canary["predictor"]["name"] == "next"
    assert canary["predictor"]["model"]["storageUri"] == "s3://models/llama-v2"
    assert not {"minReplicas", "maxReplicas", "scaleMetric", "scaleTarget"} & set(canary["predictor"])
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "s3://models/llama"
    assert schemas.validate(isvc) == []


def test_canary_rules(project):
    assert errors(project, LLAMA + "      scaling: {minReplicas: 0}\n      canary: {trafficPercent: 10, runtimeVersion: v0.7.0, engine: {maxModelLen: 4096}}\n",
                  "namespace: ml-dev, deploymentMode: Standard, platform: {kserve: '0.19'}") == [
        "stacks/Pulumi.dev.yaml:8:17: models[0].scaling.minReplicas: scale to zero needs Knative's KPA or Ray Serve, and this model is served as a Standard-mode InferenceService; set minReplicas to 1, or use backend: knative, deploymentMode: Knative or backend: ray",
        "stacks/Pulumi.dev.yaml:9:7: models[0].canary: a canary in Standard mode is KServe's spec.canary, new in KServe 0.20, and the cluster runs KServe 0.19; set deploymentMode: Knative (canaryTrafficPercent) or upgrade KServe (environment.platform.kserve)",
        'stacks/Pulumi.dev.yaml:9:7: models[0].canary: a canary splits requests between two running revisions, and scaling.minReplicas 0 scales them to zero; set scaling.minReplicas to 1 or more, or remove canary',
        "stacks/Pulumi.dev.yaml:9:36: models[0].canary.runtimeVersion: runtime 'vllm' runs vllm/vllm-openai:v0.6.3 (vLLM 0.6.3); runtimeVersion v0.7.0 would run another engine than the flags are compiled for; remove runtimeVersion or declare a runtime with that image",
    ]


def test_canary_is_checked_like_a_model(project):
    assert errors(project, LLAMA + "      canary: {trafficPercent: 10, storage: {name: nowhere, path: x}, args: [--x]}\n") == [
        "stacks/Pulumi.dev.yaml:8:46: models[0].canary.storage.name: unknown storage 'nowhere'; defined: bucket, hub, models",
        'stacks/Pulumi.dev.yaml:8:71: models[0].canary.args: a vLLM model takes typed engine options; move these to canary.engine.extraArgs',
    ]
    assert errors(project, LLAMA + "      canary: {trafficPercent: 10}\n") == [
        'stacks/Pulumi.dev.yaml:8:7: models[0].canary: the canary changes nothing; set what the new revision runs differently: runtimeVersion, storage or storageUri, engine, args or env',
    ]
    assert errors(project, LLAMA + "      canary: {trafficPercent: 101, env: []}\n") == [
        'stacks/Pulumi.dev.yaml:8:16: models[0].canary.trafficPercent: 101 is out of range; it must be at most 100',
    ]


def test_canary_of_a_multi_node_model_is_refused(project):
    assert errors(project, """    - name: big
      format: vLLM
      runtime: multinode
      deploymentMode: Standard
      storage: {name: models, path: llama-70b}
      gpu: {pool: a100, count: 8, perPod: 4}
      sharedMemory: 16Gi
      scaling: {autoscaler: none}
      canary: {trafficPercent: 10, env: [{name: NCCL_DEBUG, value: INFO}]}
""") == [
        'stacks/Pulumi.dev.yaml:12:7: models[0].canary: KServe runs no canary of a multi-node model (workerSpec); remove canary, or roll out by replacing the model',
    ]


def test_features_are_kserve_only(project):
    assert errors(project, """    - name: qwen
      backend: knative
      runtime: vllm
      storage: {name: models, path: qwen}
      auth: token
      batcher: {maxBatchSize: 4}
""", "namespace: ml-dev, platform: {knative: '1.23'}") == [
        "stacks/Pulumi.dev.yaml:8:7: models[0].auth: auth is a feature of KServe's InferenceService, and this model uses backend knative; use backend kserve or remove auth",
        "stacks/Pulumi.dev.yaml:9:7: models[0].batcher: batcher is a feature of KServe's InferenceService, and this model uses backend knative; use backend kserve or remove batcher",
    ]


IRIS = """    - name: iris
      format: sklearn
      runtime: sklearn
      storageUri: gs://models/iris/1
"""


def test_logger_batcher_transformer_and_explainer(project, schemas):
    isvc = _isvc(project, "namespace: ml-dev", IRIS + """      annotations: {team: iris}
      logger: {mode: request, url: "http://sink.ml-dev", metadataHeaders: [x-request-id], metadataAnnotations: [team]}
      batcher: {maxBatchSize: 16, maxLatency: 200, timeout: 30}
      transformer:
        image: ghcr.io/acme/iris-transformer:1.4.0
        args: [--scale]
        resources: {limits: {cpu: '1', memory: 1Gi}}
        scaling: {minReplicas: 0, maxReplicas: 2}
      explainer:
        art: {type: SquareAttack, config: {nb_classes: '3'}}
""", SKLEARN)[("InferenceService", "iris")]
    spec = isvc["spec"]
    assert spec["predictor"]["logger"] == {"mode": "request", "url": "http://sink.ml-dev", "metadataHeaders": ["x-request-id"], "metadataAnnotations": ["team"]}
    assert spec["predictor"]["batcher"] == {"maxBatchSize": 16, "maxLatency": 200, "timeout": 30}
    assert spec["transformer"] == {
        "minReplicas": 0, "maxReplicas": 2,
        "containers": [{"name": "kserve-container", "image": "ghcr.io/acme/iris-transformer:1.4.0", "args": ["--scale"], "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}],
    }
    assert spec["explainer"] == {"minReplicas": 1, "maxReplicas": 1, "art": {"type": "SquareAttack", "config": {"nb_classes": "3"}}}
    assert schemas.validate(isvc) == []


def test_logger_and_batcher_rules(project):
    assert errors(project, IRIS + """      protocolVersion: v2
      batcher: {maxBatchSize: 8}
      logger: {storage: {name: models, path: logs}, metadataAnnotations: [team]}
""" + LLAMA + "      batcher: {maxBatchSize: 8}\n", "namespace: ml-dev, platform: {kserve: '0.15'}", SKLEARN) == [
        "stacks/Pulumi.dev.yaml:11:7: models[0].batcher: KServe's batcher batches v1 REST requests (instances -> predictions), and this model serves protocolVersion v2; remove batcher or serve protocolVersion v1",
        'stacks/Pulumi.dev.yaml:12:16: models[0].logger.storage: logger.storage is new in KServe 0.16, and the cluster runs KServe 0.15; remove it or upgrade KServe (environment.platform.kserve)',
        'stacks/Pulumi.dev.yaml:12:53: models[0].logger.metadataAnnotations: logger.metadataAnnotations is new in KServe 0.16, and the cluster runs KServe 0.15; remove it or upgrade KServe (environment.platform.kserve)',
        'stacks/Pulumi.dev.yaml:12:75: models[0].logger.metadataAnnotations[0]: the InferenceService has no annotation team to copy into the records; add it to annotations or remove it here',
        "stacks/Pulumi.dev.yaml:17:7: models[1].batcher: runtime 'vllm' is vLLM, whose OpenAI API KServe's batcher cannot batch (vLLM batches requests continuously itself); remove batcher",
    ]


@pytest.mark.parametrize(("field", "message"), [
    ("batcher: {maxLatency: 5000, timeout: 5}", "models[0].batcher: maxLatency 5000ms is not below timeout 5s; every request would time out waiting for its batch: lower maxLatency or raise timeout"),
    ("batcher: {maxBatchSize: 0}", "models[0].batcher.maxBatchSize: 0 is out of range; it must be at least 1"),
    ("logger: {mode: everything, url: 'http://sink'}", "models[0].logger.mode: the string 'everything' is not allowed; use one of 'all', 'request' or 'response'"),
    ("logger: {mode: all}", "models[0].logger: set exactly one sink: url (an HTTP endpoint) or storage (a bucket, KServe 0.16+)"),
    ("explainer: {image: 'x:1', art: {type: SquareAttack}}", "models[0].explainer: set exactly one implementation: art (KServe's builtin) or image (a custom container)"),
])
def test_spec_ranges_and_exactly_one(project, field, message):
    [problem] = errors(project, IRIS + f"      {field}\n", "namespace: ml-dev", SKLEARN)
    assert problem.split(": ", 1)[1] == message


def test_storage_logger_reads_an_s3_storage(project, schemas):
    isvc = _isvc(project, "namespace: ml-dev", IRIS + "      logger: {storage: {name: bucket, path: logs/iris}}\n", SKLEARN)[("InferenceService", "iris")]
    assert isvc["spec"]["predictor"]["logger"] == {"mode": "all", "storage": {
        "path": "logs/iris", "key": "bucket", "parameters": {"type": "s3", "bucket": "models", "format": "json"}, "serviceAccountName": "bucket-sa"}}
    assert schemas.validate(isvc) == []
    assert errors(project, IRIS + "      logger: {storage: {name: models, path: logs}}\n", "namespace: ml-dev", SKLEARN) == [
        "stacks/Pulumi.dev.yaml:10:26: models[0].logger.storage.name: the logger writes to S3 with a ServiceAccount's credentials; storage 'models' is not an s3 storage with one (data connections have none): use such a storage or url",
    ]


def test_components_scale_to_zero_in_knative_mode_only(project):
    assert errors(project, IRIS + "      transformer: {image: 'x:1', scaling: {minReplicas: 0}}\n", "namespace: ml-dev, deploymentMode: Standard", SKLEARN) == [
        'stacks/Pulumi.dev.yaml:10:45: models[0].transformer.scaling.minReplicas: minReplicas 0 scales to zero in Knative mode only, and this model runs in Standard mode; set minReplicas to 1 or more, or deploymentMode: Knative',
    ]


@pytest.mark.parametrize(("mode", "labels", "annotations"), [
    ("Knative", {}, {"security.opendatahub.io/enable-auth": "true", "serving.kserve.io/enable-metric-aggregation": "true", "serving.kserve.io/enable-prometheus-scraping": "true"}),
    ("Standard", {"security.openshift.io/enable-authentication": "true"}, {"serving.kserve.io/enable-prometheus-scraping": "true"}),
])
def test_auth_and_metrics_per_mode_on_openshift_ai(project, mode, labels, annotations):
    isvc = _isvc(project, f"namespace: ml-dev, deploymentMode: {mode}, platform: {{openshiftAi: true}}",
                 IRIS + "      auth: token\n      metrics: {prometheus: true}\n", SKLEARN)[("InferenceService", "iris")]
    metadata = isvc["metadata"]
    assert {key: value for key, value in metadata.get("labels", {}).items() if key.startswith("security.")} == labels
    assert {key: value for key, value in metadata["annotations"].items() if key.startswith(("security.", "serving.kserve.io/enable"))} == annotations


def test_auth_needs_openshift_ai_and_the_raw_annotation_is_refused(project):
    assert errors(project, IRIS + "      auth: token\n      annotations: {security.opendatahub.io/enable-auth: 'true'}\n", "namespace: ml-dev", SKLEARN) == [
        'stacks/Pulumi.dev.yaml:10:7: models[0].auth: upstream KServe has no per-InferenceService authentication (it is cluster-wide: Istio or Gateway API policies); auth: token is enforced by OpenShift AI: set environment.platform.openshiftAi: true on an OpenShift AI cluster, or remove auth',
        'stacks/Pulumi.dev.yaml:11:21: models[0].annotations.security.opendatahub.io/enable-auth: security.opendatahub.io/enable-auth is an annotation modelfleet sets itself; remove it and use the typed setting it stands for (deploymentMode, scaling, auth, metrics, ...)',
    ]


def test_transformer_and_explainer_take_the_pod_settings_off_the_gpu_pool(project, schemas):
    """The components get the model's scheduling (not the GPU pool's), pull secrets, securityContext and volumes; the
    model's probes are the engine's, so each component declares its own."""
    isvc = _isvc(project, "namespace: ml-dev, deploymentMode: Standard, pod: {imagePullSecrets: [registry-creds], priorityClassName: inference}", LLAMA + """      gpu: {pool: a100, count: 1}
      pod:
        nodeSelector: {zone-class: inference}
        tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]
        volumes: [{name: labels, mountPath: /etc/labels, configMap: iris-labels}]
        securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, readOnlyRootFilesystem: true}
        probes: {startup: {failureThreshold: 360}}
      transformer:
        image: ghcr.io/acme/llama-transformer:1.0.0
        probes: {readiness: {path: /v2/health/ready}}
      explainer:
        art: {type: SquareAttack}
        probes: {liveness: {tcp: true, periodSeconds: 20}}
""")[("InferenceService", "llama")]
    spec = isvc["spec"]
    pod = {
        "imagePullSecrets": [{"name": "registry-creds"}],
        "nodeSelector": {"zone-class": "inference"},
        "tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
        "priorityClassName": "inference",
        "securityContext": {"fsGroup": 1000},
        "volumes": [{"name": "labels", "configMap": {"name": "iris-labels"}}, {"name": "tmp", "emptyDir": {}}],
    }
    container = {
        "env": [{"name": "HOME", "value": "/tmp"}],
        "volumeMounts": [{"name": "labels", "mountPath": "/etc/labels", "readOnly": True}, {"name": "tmp", "mountPath": "/tmp"}],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "readOnlyRootFilesystem": True},
    }
    assert spec["transformer"] == {"minReplicas": 1, "maxReplicas": 1, **pod, "containers": [{
        "name": "kserve-container", "image": "ghcr.io/acme/llama-transformer:1.0.0", **container,
        "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": 8080}, "periodSeconds": 10, "failureThreshold": 3},
    }]}
    assert spec["explainer"] == {"minReplicas": 1, "maxReplicas": 1, **pod, "art": {
        "type": "SquareAttack", **container, "livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 20, "failureThreshold": 3},
    }}
    predictor = spec["predictor"]
    assert predictor["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB", "zone-class": "inference"}
    assert predictor["model"]["startupProbe"]["failureThreshold"] == 360
    assert schemas.validate(isvc) == []


def test_component_probes_need_a_path_or_tcp(project):
    assert errors(project, IRIS + "      transformer: {image: 'x:1', probes: {readiness: {periodSeconds: 5}}}\n", "namespace: ml-dev", SKLEARN) == [
        "stacks/Pulumi.dev.yaml:10:44: models[0].transformer.probes.readiness: the image's health endpoint is not known to modelfleet; set path (HTTP GET) or tcp: true",
    ]
