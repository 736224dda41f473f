"""Each rule of the policy pack, run by the pack process over Pulumi's Analyzer protocol.

Every case starts from a compliant fixture (tests/policy_fixtures/rules/) and breaks one field. Numbers
cross the protocol as floats, so every case also checks that rules read 1.0 as 1.
"""

from __future__ import annotations

import pytest

from tests.policy_harness import DELETE, edited, fixture, pack  # noqa: F401  (pack is a fixture)

DIGEST = "sha256:" + "1" * 64
RUNTIME, ISVC = fixture("rules/servingruntime.yaml")[0], fixture("rules/inferenceservice.yaml")[0]
KSVC, DEPLOYMENT = fixture("rules/knative-service.yaml")[0], fixture("rules/deployment.yaml")[0]
STATEFULSET, DAEMONSET, JOB, CRONJOB, POD = fixture("rules/workloads.yaml")
RAYCLUSTER, RAYSERVICE = fixture("rules/raycluster.yaml")[0], fixture("rules/rayservice.yaml")[0]
SECRET = fixture("rules/secret.yaml")[0]
POD_SPEC = ("spec", "template", "spec")
TGI = (*POD_SPEC, "containers", 0)
WORKER = ("spec", "workerGroupSpecs", 0, "template", "spec")
RAY_SERVE_WORKER = ("spec", "rayClusterConfig", "workerGroupSpecs", 0, "template", "spec")


@pytest.mark.parametrize(
    "objects",
    [(RUNTIME, ISVC), (KSVC,), (DEPLOYMENT,), (STATEFULSET, DAEMONSET, JOB, CRONJOB, POD), (RAYCLUSTER,), (RAYSERVICE,), (SECRET,)],
    ids=["inferenceservice", "knative", "deployment", "workloads", "raycluster", "rayservice", "secret"],
)
def test_fixtures_are_compliant_with_the_pack_defaults(pack, objects):
    assert pack.findings(*objects) == []


# -- gpu-toleration --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ((edited(DEPLOYMENT, (*POD_SPEC, "tolerations"), DELETE),), "spec.template.spec: requests nvidia.com/gpu ('tgi') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((RUNTIME, edited(ISVC, ("spec", "predictor", "workerSpec", "tolerations"), DELETE)), "spec.predictor.workerSpec: requests nvidia.com/gpu ('worker-container') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((RUNTIME, edited(ISVC, ("spec", "predictor", "tolerations", 0, "key"), "ray.io/node-type")), "spec.predictor: requests nvidia.com/gpu (spec.predictor.model) but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(RAYCLUSTER, (*WORKER, "tolerations", 0, "effect"), "NoExecute"),), "spec.workerGroupSpecs[0].template.spec: requests nvidia.com/gpu ('ray-worker') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(RAYSERVICE, (*RAY_SERVE_WORKER, "tolerations"), []),), "spec.rayClusterConfig.workerGroupSpecs[0].template.spec: requests nvidia.com/gpu ('ray-worker') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(KSVC, (*POD_SPEC, "tolerations"), DELETE),), "spec.template.spec: requests nvidia.com/gpu ('vllm') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(STATEFULSET, (*POD_SPEC, "tolerations"), DELETE),), "spec.template.spec: requests nvidia.com/mig-1g.10gb ('embedder') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(DAEMONSET, (*POD_SPEC, "tolerations"), DELETE),), "spec.template.spec: requests nvidia.com/gpu ('warmer') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(JOB, (*POD_SPEC, "tolerations"), DELETE),), "spec.template.spec: requests nvidia.com/gpu ('quantize') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(CRONJOB, ("spec", "jobTemplate", "spec", "template", "spec", "tolerations"), DELETE),), "spec.jobTemplate.spec.template.spec: requests nvidia.com/gpu ('evaluate') but does not tolerate the GPU taint nvidia.com/gpu"),
        ((edited(POD, ("spec", "tolerations"), DELETE),), "spec: requests nvidia.com/gpu ('debug') but does not tolerate the GPU taint nvidia.com/gpu"),
        # A GPU only in an init container still needs the toleration.
        ((edited(edited(DEPLOYMENT, (*POD_SPEC, "tolerations"), DELETE), (*POD_SPEC, "initContainers", 0, "resources"), {"limits": {"amd.com/gpu": 1}}),), "spec.template.spec: requests amd.com/gpu, nvidia.com/gpu ('fetch', 'tgi') but does not tolerate the GPU taint nvidia.com/gpu"),
        # A ServingRuntime that requests a GPU itself carries the toleration too.
        ((edited(RUNTIME, ("spec", "containers", 0, "resources"), {"limits": {"nvidia.com/gpu": "1"}}),), "spec: requests nvidia.com/gpu ('kserve-container') but does not tolerate the GPU taint nvidia.com/gpu"),
    ],
    ids=["deployment", "isvc-worker", "isvc-other-key", "ray-noexecute", "rayservice", "knative", "statefulset-mig", "daemonset", "job", "cronjob", "pod", "init-container", "servingruntime"],
)
def test_gpu_toleration_violations(pack, objects, expected):
    assert pack.messages("gpu-toleration", *objects) == [expected]


def test_gpu_toleration_taint_keys_come_from_config(pack):
    config = {"gpu-toleration": {"taintKeys": ["amd.com/gpu", "gpu.example.com/dedicated"]}}
    assert pack.findings(DEPLOYMENT, config=config) == [
        ("gpu-toleration", "mandatory", "spec.template.spec: requests nvidia.com/gpu ('tgi') but does not tolerate the GPU taint amd.com/gpu or gpu.example.com/dedicated")
    ]
    tolerated = edited(DEPLOYMENT, (*POD_SPEC, "tolerations", 0, "key"), "gpu.example.com/dedicated")
    assert pack.messages("gpu-toleration", tolerated, config=config) == []


# -- wildcard-toleration ---------------------------------------------------------------------------------

def test_wildcard_toleration(pack):
    wildcard = {"operator": "Exists"}
    assert pack.findings(edited(DEPLOYMENT, (*POD_SPEC, "tolerations"), [wildcard])) == [
        ("wildcard-toleration", "advisory", "spec.template.spec.tolerations[0]: operator Exists without a key tolerates every taint")
    ]
    isvc = edited(ISVC, ("spec", "predictor", "tolerations"), [*ISVC["spec"]["predictor"]["tolerations"], {**wildcard, "effect": "NoSchedule"}])
    assert pack.findings(RUNTIME, isvc) == [
        ("wildcard-toleration", "advisory", "spec.predictor.tolerations[1]: operator Exists without a key tolerates every taint")
    ]


# -- pinned-runtime-version --------------------------------------------------------------------------------

TAGGED_RUNTIME = edited(RUNTIME, ("spec", "containers", 0, "image"), "vllm/vllm-openai:v0.6.3")
VERSIONED_ISVC = edited(ISVC, ("spec", "predictor", "model", "runtimeVersion"), "v0.6.3")


def _cluster_runtime(runtime: dict) -> dict:
    cluster = edited(runtime, ("kind",), "ClusterServingRuntime")
    del cluster["metadata"]["namespace"]
    return cluster


@pytest.mark.parametrize(
    "objects",
    [(RUNTIME, ISVC), (TAGGED_RUNTIME, VERSIONED_ISVC), (_cluster_runtime(RUNTIME), ISVC), (VERSIONED_ISVC,), (edited(VERSIONED_ISVC, ("spec", "predictor", "model", "runtimeVersion"), "2.6.2-gpu"),)],
    ids=["digest-runtime-no-version", "tag-equals-version", "cluster-runtime", "runtime-elsewhere-exact-version", "suffixed-version"],
)
def test_pinned_runtime_version_compliant(pack, objects):
    assert pack.messages("pinned-runtime-version", *objects) == []


MODEL = ("spec", "predictor", "model")


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ((ISVC,), "spec.predictor.model: runtimeVersion is not set and runtime 'vllm-runtime' is not in this stack to show its image is pinned"),
        ((TAGGED_RUNTIME, ISVC), "spec.predictor.model: runtimeVersion is not set and runtime 'vllm-runtime' image 'vllm/vllm-openai:v0.6.3' is not pinned by digest"),
        ((edited(ISVC, (*MODEL, "runtime"), DELETE),), "spec.predictor.model: runtimeVersion is not set and the runtime is auto-selected"),
        ((edited(RUNTIME, ("metadata", "namespace"), "other"), ISVC), "spec.predictor.model: runtimeVersion is not set and runtime 'vllm-runtime' is not in this stack to show its image is pinned"),
        ((TAGGED_RUNTIME, edited(ISVC, (*MODEL, "runtimeVersion"), "latest")), "spec.predictor.model.runtimeVersion: 'latest' is not an exact version (like v0.6.3 or 2.6.2-gpu)"),
        ((TAGGED_RUNTIME, edited(ISVC, (*MODEL, "runtimeVersion"), ">=0.6")), "spec.predictor.model.runtimeVersion: '>=0.6' is not an exact version (like v0.6.3 or 2.6.2-gpu)"),
        ((TAGGED_RUNTIME, edited(ISVC, (*MODEL, "runtimeVersion"), "0.6.x")), "spec.predictor.model.runtimeVersion: '0.6.x' is not an exact version (like v0.6.3 or 2.6.2-gpu)"),
        ((TAGGED_RUNTIME, edited(ISVC, (*MODEL, "runtimeVersion"), "")), "spec.predictor.model.runtimeVersion: '' is not an exact version (like v0.6.3 or 2.6.2-gpu)"),
        ((TAGGED_RUNTIME, edited(ISVC, (*MODEL, "runtimeVersion"), "v0.6.4")), "spec.predictor.model.runtimeVersion: 'v0.6.4' differs from the tag of runtime 'vllm-runtime' image 'vllm/vllm-openai:v0.6.3'; KServe would run 'vllm/vllm-openai:v0.6.4'"),
        ((RUNTIME, VERSIONED_ISVC), f"spec.predictor.model.runtimeVersion: 'v0.6.3' would replace the digest of runtime 'vllm-runtime' image 'vllm/vllm-openai@{DIGEST}'; leave runtimeVersion unset"),
        ((_cluster_runtime(RUNTIME), VERSIONED_ISVC), f"spec.predictor.model.runtimeVersion: 'v0.6.3' would replace the digest of runtime 'vllm-runtime' image 'vllm/vllm-openai@{DIGEST}'; leave runtimeVersion unset"),
    ],
    ids=["alone", "tagged-runtime", "auto-selected", "runtime-other-namespace", "latest", "range", "wildcard", "empty", "mismatch", "digest-runtime", "digest-cluster-runtime"],
)
def test_pinned_runtime_version_violations(pack, objects, expected):
    assert pack.messages("pinned-runtime-version", *objects) == [expected]


def test_pinned_runtime_version_is_a_mandatory_stack_policy(pack):
    assert pack.process.policies["pinned-runtime-version"].stack
    assert pack.findings(TAGGED_RUNTIME, ISVC, config={"pinned-image": "disabled"})[0][:2] == ("pinned-runtime-version", "mandatory")


# -- pinned-image / no-latest-image --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ((TAGGED_RUNTIME,), "spec.containers[0].image: 'vllm/vllm-openai:v0.6.3' is pinned by tag only; a tag can be pushed again"),
        ((edited(RUNTIME, ("spec", "workerSpec", "containers", 0, "image"), "vllm/vllm-openai:v0.6.3"),), "spec.workerSpec.containers[0].image: 'vllm/vllm-openai:v0.6.3' is pinned by tag only; a tag can be pushed again"),
        ((edited(RAYCLUSTER, (*WORKER, "initContainers", 0, "image"), "busybox:1.36"),), "spec.workerGroupSpecs[0].template.spec.initContainers[0].image: 'busybox:1.36' is pinned by tag only; a tag can be pushed again"),
        ((edited(ISVC, ("spec", "transformer", "containers", 0, "image"), "registry.local:5000/tokenizer:1.2"), RUNTIME), "spec.transformer.containers[0].image: 'registry.local:5000/tokenizer:1.2' is pinned by tag only; a tag can be pushed again"),
        ((edited(DEPLOYMENT, (*TGI, "image"), "ghcr.io/huggingface/text-generation-inference@sha256:4f1f"),), "spec.template.spec.containers[0].image: 'ghcr.io/huggingface/text-generation-inference@sha256:4f1f' has a digest that is not sha256:<64 hex digits>"),
    ],
    ids=["runtime", "runtime-worker", "ray-init-container", "registry-port", "short-digest"],
)
def test_pinned_image_violations(pack, objects, expected):
    assert pack.messages("pinned-image", *objects) == [expected]


def test_pinned_image_level_is_configurable(pack):
    tagged = edited(DEPLOYMENT, (*TGI, "image"), "ghcr.io/huggingface/text-generation-inference:2.0.4")
    assert [level for name, level, _ in pack.findings(tagged) if name == "pinned-image"] == ["advisory"]
    assert [level for name, level, _ in pack.findings(tagged, config={"pinned-image": "mandatory"}) if name == "pinned-image"] == ["mandatory"]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("vllm/vllm-openai:latest", "spec.template.spec.containers[0].image: 'vllm/vllm-openai:latest' uses the :latest tag"),
        ("vllm/vllm-openai", "spec.template.spec.containers[0].image: 'vllm/vllm-openai' has neither a tag nor a digest (Kubernetes pulls :latest)"),
        ("registry.local:5000/vllm", "spec.template.spec.containers[0].image: 'registry.local:5000/vllm' has neither a tag nor a digest (Kubernetes pulls :latest)"),
        (f"vllm/vllm-openai:latest@{DIGEST}", None),
    ],
    ids=["latest", "untagged", "registry-port-untagged", "latest-with-digest"],
)
def test_no_latest_image(pack, image, expected):
    findings = pack.findings(edited(DEPLOYMENT, (*TGI, "image"), image))
    assert findings == ([("no-latest-image", "mandatory", expected)] if expected else [])


# -- gpu-requests-equal-limits ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ((edited(DEPLOYMENT, (*TGI, "resources", "limits", "nvidia.com/gpu"), 4),), "spec.template.spec.containers[0].resources: requests 2 nvidia.com/gpu but limits it to 4"),
        ((edited(DEPLOYMENT, (*TGI, "resources", "limits"), {"cpu": "16", "memory": "64Gi"}),), "spec.template.spec.containers[0].resources: requests 2 nvidia.com/gpu but sets no limit for it"),
        ((RUNTIME, edited(ISVC, (*MODEL, "resources", "requests", "nvidia.com/gpu"), "2")), "spec.predictor.model.resources: requests 2 nvidia.com/gpu but limits it to 1"),
        ((edited(RAYCLUSTER, (*WORKER, "containers", 0, "resources", "requests", "nvidia.com/gpu"), 0.5),), "spec.workerGroupSpecs[0].template.spec.containers[0].resources: requests 0.5 nvidia.com/gpu but limits it to 2"),
    ],
    ids=["deployment-differs", "deployment-no-limit", "isvc-string-quantities", "ray-fraction"],
)
def test_gpu_requests_equal_limits_violations(pack, objects, expected):
    assert pack.messages("gpu-requests-equal-limits", *objects) == [expected]


def test_gpu_requests_equal_limits_compares_amounts_not_spellings(pack):
    # "1" (string) and 1 (a float on the wire) are the same amount; a limit alone is enough.
    mixed = edited(ISVC, ("spec", "predictor", "workerSpec", "containers", 0, "resources", "limits", "nvidia.com/gpu"), "1")
    assert pack.messages("gpu-requests-equal-limits", RUNTIME, mixed, POD) == []


# -- resource-limits ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ((edited(DEPLOYMENT, (*TGI, "resources", "limits", "cpu"), DELETE),), "spec.template.spec.containers[0].resources.limits: no cpu limit"),
        ((RUNTIME, edited(ISVC, (*MODEL, "resources", "limits"), {"nvidia.com/gpu": "1"})), "spec.predictor.model.resources.limits: no cpu or memory limit"),
        ((edited(RAYSERVICE, ("spec", "rayClusterConfig", "headGroupSpec", "template", "spec", "containers", 0, "resources"), DELETE),), "spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].resources.limits: no cpu or memory limit"),
    ],
    ids=["deployment-cpu", "isvc-model", "rayservice-head"],
)
def test_resource_limits_violations(pack, objects, expected):
    assert pack.findings(*objects) == [("resource-limits", "advisory", expected)]


def test_resource_limits_config_and_exemptions(pack):
    config = {"resource-limits": {"resources": ["cpu", "memory", "ephemeral-storage"]}}
    assert pack.messages("resource-limits", POD, config=config) == ["spec.containers[0].resources.limits: no ephemeral-storage limit"]
    # Runtime containers take the InferenceService's resources; init containers are not serving containers.
    assert pack.messages("resource-limits", RUNTIME, DEPLOYMENT, RAYCLUSTER) == []


# -- trust-remote-code ---------------------------------------------------------------------------------------------

def _tgi_args(*extra: str) -> dict:
    return edited(DEPLOYMENT, (*TGI, "args"), ["--model-id=mistralai/Mistral-7B-Instruct-v0.3", *extra])


TGI_NOT_ALLOWED = "'mistralai/Mistral-7B-Instruct-v0.3', which is not on the allow-list"


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ((_tgi_args("--trust-remote-code"),), f"spec.template.spec.containers[0]: --trust-remote-code trusts remote code from {TGI_NOT_ALLOWED}"),
        ((_tgi_args("--trust-remote-code=True"),), f"spec.template.spec.containers[0]: --trust-remote-code=True trusts remote code from {TGI_NOT_ALLOWED}"),
        ((_tgi_args("--trust-remote-code", "true"),), f"spec.template.spec.containers[0]: --trust-remote-code true trusts remote code from {TGI_NOT_ALLOWED}"),
        ((_tgi_args("--trust_remote_code", "--num-shard=2"),), f"spec.template.spec.containers[0]: --trust_remote_code trusts remote code from {TGI_NOT_ALLOWED}"),
        ((edited(DEPLOYMENT, (*TGI, "env", 1), {"name": "TRUST_REMOTE_CODE", "value": "true"}),), f"spec.template.spec.containers[0]: env TRUST_REMOTE_CODE=true trusts remote code from {TGI_NOT_ALLOWED}"),
        (
            (edited(KSVC, (*TGI, "args", 0), KSVC["spec"]["template"]["spec"]["containers"][0]["args"][0] + " --trust-remote-code"),),
            "spec.template.spec.containers[0]: --trust-remote-code trusts remote code from '/mnt/models/Qwen-7B-Chat-Int8', 'pvc://llm-model/Qwen-7B-Chat-Int8', which is not on the allow-list",
        ),
        ((RUNTIME, edited(ISVC, (*MODEL, "args"), ["--trust_remote_code"])), "spec.predictor.model: --trust_remote_code trusts remote code from 'pvc://models/llama-3-8b', which is not on the allow-list"),
        ((edited(POD, ("spec", "containers", 0, "command"), ["sh", "-c", "vllm serve Qwen/Qwen2-VL-7B --trust-remote-code"]),), "spec.containers[0]: --trust-remote-code trusts remote code from 'Qwen/Qwen2-VL-7B', which is not on the allow-list"),
        ((edited(POD, ("spec", "containers", 0, "args"), ["--trust-remote-code"]),), "spec.containers[0]: --trust-remote-code trusts remote code from a model whose source cannot be determined"),
        (
            (edited(RAYSERVICE, ("spec", "serveConfigV2"), RAYSERVICE["spec"]["serveConfigV2"].replace("max_model_len: 4096", "max_model_len: 4096\n            trust_remote_code: true")),),
            "spec.serveConfigV2.applications[0].args.llm_configs[0].engine_kwargs.trust_remote_code: trust_remote_code=true trusts remote code from 'Qwen/Qwen2.5-7B-Instruct', which is not on the allow-list",
        ),
        ((edited(RAYSERVICE, ("spec", "serveConfigV2"), "applications: [\n"),), "spec.serveConfigV2: is not valid YAML (line 2), so trust_remote_code cannot be checked"),
    ],
    ids=["flag", "equals-true", "next-arg-true", "underscore", "env", "knative-shell-string", "isvc-model-args", "vllm-serve", "unknown-source", "ray-engine-kwargs", "ray-bad-yaml"],
)
def test_trust_remote_code_violations(pack, objects, expected):
    assert pack.findings(*objects) == [("trust-remote-code", "mandatory", expected)]


@pytest.mark.parametrize(
    ("objects", "allowed"),
    [
        ((_tgi_args("--trust-remote-code=false"),), []),
        ((_tgi_args("--trust-remote-code", "false"),), []),
        ((_tgi_args("--trust-remote-code"),), ["mistralai/*"]),
        ((edited(KSVC, (*TGI, "args"), ["--model", "/mnt/models/Qwen-7B-Chat-Int8", "--trust-remote-code"]),), ["pvc://llm-model/Qwen-7B-Chat-Int8"]),
        ((RUNTIME, edited(ISVC, (*MODEL, "args"), ["--trust-remote-code"])), ["pvc://models/*"]),
    ],
    ids=["equals-false", "next-arg-false", "allowed-pattern", "allowed-through-pvc-mount", "allowed-storage-uri"],
)
def test_trust_remote_code_compliant(pack, objects, allowed):
    assert pack.messages("trust-remote-code", *objects, config={"trust-remote-code": {"allowedModels": allowed}}) == []


# -- no-plaintext-secrets ------------------------------------------------------------------------------------------

HF_TOKEN_VALUE = "hf_" + "a1B2" * 9


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ((edited(DEPLOYMENT, (*TGI, "env", 0), {"name": "HUGGING_FACE_HUB_TOKEN", "value": "placeholder"}),), "spec.template.spec.containers[0].env[0]: HUGGING_FACE_HUB_TOKEN has a literal value and its name says it is a credential"),
        ((edited(DEPLOYMENT, (*TGI, "env", 1, "value"), HF_TOKEN_VALUE),), "spec.template.spec.containers[0].env[1]: MAX_TOTAL_TOKENS has a literal value and its value looks like a Hugging Face token"),
        ((RUNTIME, edited(ISVC, (*MODEL, "env", 0), {"name": "AWS_SECRET_ACCESS_KEY", "value": "x"})), "spec.predictor.model.env[0]: AWS_SECRET_ACCESS_KEY has a literal value and its name says it is a credential"),
        ((edited(RUNTIME, ("spec", "containers", 0, "env", 0, "value"), "AKIAABCDEFGHIJKLMNOP"),), "spec.containers[0].env[0]: HF_HOME has a literal value and its value looks like an AWS access key id"),
        ((edited(SECRET, ("data",), {"token": "aGZfeHh4"}),), "data: the Secret carries values for token"),
        ((edited(SECRET, ("stringData",), {"token": "x", "endpoint": "y"}),), "stringData: the Secret carries values for endpoint, token"),
        (
            (edited(RAYSERVICE, ("spec", "serveConfigV2"), RAYSERVICE["spec"]["serveConfigV2"].replace("VLLM_LOGGING_LEVEL: INFO", "HF_TOKEN: hf_placeholder")),),
            "spec.serveConfigV2.applications[0].runtime_env.env_vars.HF_TOKEN: has a literal value and its name says it is a credential",
        ),
        ((edited(DEPLOYMENT, (*TGI, "env", 0), {"name": "OPENAI_KEY", "value": "placeholder"}),), "spec.template.spec.containers[0].env[0]: OPENAI_KEY has a literal value and its name says it is a credential"),
        ((edited(DEPLOYMENT, (*TGI, "args"), ["--api-key", "placeholder"]),), "spec.template.spec.containers[0]: --api-key has a literal value; pass it from a Secret through an environment variable"),
        ((edited(DEPLOYMENT, (*TGI, "args"), [f"--note={HF_TOKEN_VALUE}"]),), "spec.template.spec.containers[0]: an argument looks like a Hugging Face token"),
        ((edited(DEPLOYMENT, ("metadata", "annotations"), {"example.com/api-token": "placeholder"}),), "metadata.annotations.example.com/api-token: has a literal value and its name says it is a credential"),
    ],
    ids=["credential-name", "token-shaped-value", "isvc-aws-secret", "aws-key-value", "secret-data", "secret-string-data", "ray-env-vars",
         "key-word", "api-key-argument", "token-shaped-argument", "annotation"],
)
def test_no_plaintext_secrets_violations(pack, objects, expected):
    assert pack.findings(*objects) == [("no-plaintext-secrets", "mandatory", expected)]
    assert all("placeholder" not in message and HF_TOKEN_VALUE not in message for _, _, message in pack.findings(*objects))


def test_no_plaintext_secrets_reads_names_as_words(pack):
    env = [{"name": name, "value": "1"} for name in ("TOKENIZERS_PARALLELISM", "MAX_TOKENS", "KEYCLOAK_URL", "SECRETARY")]
    assert pack.messages("no-plaintext-secrets", edited(POD, ("spec", "containers", 0, "env"), env)) == []


# -- min-replicas ----------------------------------------------------------------------------------------------------

ANNOTATIONS = ("spec", "template", "metadata", "annotations")


@pytest.mark.parametrize(
    ("objects", "config", "expected"),
    [
        ((RUNTIME, edited(ISVC, ("spec", "predictor", "minReplicas"), 0)), {}, "spec.predictor.minReplicas: is 0, below the minimum of 1"),
        ((edited(KSVC, (*ANNOTATIONS, "autoscaling.knative.dev/min-scale"), DELETE),), {}, "spec.template.metadata.annotations.autoscaling.knative.dev/min-scale: is not set (Knative default 0: scales to zero), below the minimum of 1"),
        ((edited(DEPLOYMENT, ("spec", "replicas"), 0),), {}, "spec.replicas: is 0, below the minimum of 1"),
        (
            (RUNTIME, edited(edited(ISVC, ("spec", "predictor", "minReplicas"), DELETE), ("spec", "transformer", "minReplicas"), 2)),
            {"min-replicas": {"minReplicas": 2}},
            "spec.predictor.minReplicas: is not set (KServe default 1), below the minimum of 2",
        ),
    ],
    ids=["isvc-zero", "knative-unset", "deployment-zero", "isvc-default-below-configured"],
)
def test_min_replicas_violations(pack, objects, config, expected):
    found = [finding for finding in pack.findings(*objects, config=config) if finding[0] == "min-replicas"]
    assert found == [("min-replicas", "advisory", expected)]


def test_min_replicas_reads_the_legacy_knative_annotation(pack):
    legacy = edited(edited(KSVC, (*ANNOTATIONS, "autoscaling.knative.dev/min-scale"), DELETE), (*ANNOTATIONS, "autoscaling.knative.dev/minScale"), "2")
    assert pack.messages("min-replicas", legacy, config={"min-replicas": {"minReplicas": 2}}) == []
    assert pack.messages("min-replicas", DEPLOYMENT, config={"min-replicas": {"minReplicas": 2}}) == []


# -- gpu-budget ----------------------------------------------------------------------------------------------------

def test_gpu_budget_counts_gpus_at_maximum_scale(pack):
    # predictor 1 GPU x 2 replicas + workerSpec (pipelineParallelSize 2: one worker) 1 GPU x 2 = 4.
    assert pack.findings(RUNTIME, ISVC, config={"gpu-budget": {"maxGpus": 3}}) == [
        ("gpu-budget", "mandatory", "the stack holds 4 GPUs at maximum scale, over the budget of 3; largest: InferenceService ml/llama 4")
    ]
    assert pack.messages("gpu-budget", RUNTIME, ISVC, config={"gpu-budget": {"maxGpus": 4}}) == []


def test_gpu_budget_names_the_largest_consumers(pack):
    # Deployment 2 GPUs x 2 replicas, RayCluster 2 x maxReplicas 2, Knative 1 x max-scale 3, ISVC 4, Job 1.
    objects = (DEPLOYMENT, RAYCLUSTER, KSVC, RUNTIME, ISVC, JOB)
    assert pack.messages("gpu-budget", *objects, config={"gpu-budget": {"maxGpus": 12.5}}) == [
        "the stack holds 16 GPUs at maximum scale, over the budget of 12.5; largest: Deployment ml/tgi 4, InferenceService ml/llama 4, RayCluster ml/llm-cluster 4"
    ]
    bigger = edited(DEPLOYMENT, ("spec", "replicas"), 10)
    assert pack.messages("gpu-budget", bigger, RAYCLUSTER, config={"gpu-budget": {"maxGpus": 12}}) == [
        "the stack holds 24 GPUs at maximum scale, over the budget of 12; largest: Deployment ml/tgi 20, RayCluster ml/llm-cluster 4"
    ]
