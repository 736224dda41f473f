"""The llm backend: a KServe LLMInferenceService (llm-d) from the usual model declaration, its rules as located
errors, the presets, the policy pack's view of its pods and the diff's summary."""

from __future__ import annotations

import subprocess

import pytest

from modelfleet.build.environment import built_objects
from modelfleet.compile import compile_environments
from modelfleet.diff.serving import serving_summaries
from modelfleet.load.project import Project
from modelfleet.resolve.environment import resolve
from modelfleet.resolve.llm import shell_word
from modelfleet.spec.stack_loader import load_stack
from tests.conftest import ROOT
from tests.policy_harness import DELETE, edited, fixture, pack  # noqa: F401  (pack is a fixture)
from tests.test_backends import SHARED, by_kind
from tests.test_spec_errors import problems_of

LLM_SHARED = SHARED.rstrip("\n") + """
    - {name: vllm22, vllm: {image: "vllm/vllm-openai:v0.22.0", version: "0.22.0"}}
"""
TOLERATION = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
LLMISVC = fixture("rules/llminferenceservice.yaml")[0]


def compile_llm(project, stack_text: str) -> list[dict]:
    project.write("shared.yaml", LLM_SHARED)
    project.write("Pulumi.dev.yaml", stack_text)
    return [obj for obj, _ in built_objects(resolve(load_stack(Project.at(project.root), "dev")))]


def test_staging_example_splits_prefill_from_decode(schemas):
    """The example stack: the engine options reach both pools with NixlConnector as kv_both, and the router
    comes from the environment's preset (baseRefs), so the object sets none itself."""
    [compiled] = compile_environments(Project.at(ROOT), ["staging"], None)
    objects = by_kind(compiled.objects)
    service, preset = objects[("LLMInferenceService", "llama-pd")], objects[("LLMInferenceServiceConfig", "staging-gateway")]
    spec = service["spec"]
    assert spec["model"] == {"uri": "hf://meta-llama/Llama-3.1-8B-Instruct", "name": "llama-pd"}
    assert spec["baseRefs"] == [{"name": "staging-gateway"}] and "router" not in spec
    assert (spec["replicas"], spec["prefill"]["replicas"], spec["parallelism"], spec["prefill"]["parallelism"]) == (1, 1, {"tensor": 1}, {"tensor": 1})
    for pod in (spec["template"], spec["prefill"]["template"]):
        [main] = pod["containers"]
        assert main["args"] == ["--max-model-len=16384", "--enable-prefix-caching", """--kv-transfer-config='{"kv_connector":"NixlConnector","kv_role":"kv_both"}'"""]
        assert main["env"] == [
            {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}},
            {"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ]
        assert main["resources"]["limits"] == {"cpu": "8", "memory": "48Gi", "nvidia.com/gpu": "1"}
        assert pod["tolerations"] == TOLERATION
    assert service["metadata"]["annotations"] == {"modelfleet.io/kv-cache-tokens": "450352", "modelfleet.io/max-concurrency": "27.49"}
    assert preset["spec"] == {"router": {"route": {}, "gateway": {"refs": [{"name": "inference-gateway", "namespace": "gateway-system"}]}, "scheduler": {}}}
    assert schemas.validate(service) == [] and schemas.validate(preset) == []


def test_multi_node_replica_with_wva_lora_offloading_and_existing_router(project, schemas):
    objects = compile_llm(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - name: qwen-mn
              backend: llm
              runtime: vllm22
              storage: {name: bucket, path: qwen2.5-72b}
              architecture: qwen2.5-72b
              gpu: {pool: h100, count: 16, perPod: 8}
              sharedMemory: 32Gi
              resources: {limits: {cpu: "32", memory: 512Gi}}
              engine: {maxModelLen: 32768, maxNumSeqs: 128, speculative: {method: ngram, numSpeculativeTokens: 4, promptLookupMax: 3}}
              scaling: {minReplicas: 2, maxReplicas: 3, autoscaler: keda}
              llm:
                parallelism: {tensor: 8}
                lora: {adapters: [{name: sql, uri: "hf://acme/qwen-sql-lora"}], maxRank: 16}
                kvCacheOffloading: {cpu: 64Gi}
                keda: {pollingInterval: 15, idleReplicaCount: 1}
                variantCost: "20"
                router:
                  gateway: [{name: inference-gateway, namespace: gateway-system, sectionName: https}]
                  route: [qwen-route]
                  scheduler: {config: {configMap: epp-config, key: config.yaml}, replicas: 2}
        """)
    service = by_kind(objects)[("LLMInferenceService", "qwen-mn")]
    pod = {
        "containers": [{
            "name": "main",
            "image": "vllm/vllm-openai:v0.22.0",
            # one word per argument after the preset's `eval`: the JSON keeps its quotes
            "args": ["--max-model-len=32768", "--max-num-seqs=128", """--speculative-config='{"method":"ngram","num_speculative_tokens":4,"prompt_lookup_max":3}'"""],
            "resources": {"requests": {"nvidia.com/gpu": "8"}, "limits": {"cpu": "32", "memory": "512Gi", "nvidia.com/gpu": "8"}},
        }],
        "serviceAccountName": "bucket-sa",
        "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB"},
        "tolerations": TOLERATION,
        "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "32Gi"}}],  # resizes the preset's /dev/shm
    }
    assert service["spec"] == {
        "model": {"uri": "s3://models/qwen2.5-72b", "name": "qwen-mn", "lora": {"adapters": [{"name": "sql", "uri": "hf://acme/qwen-sql-lora"}], "maxRank": 16}},
        "scaling": {"minReplicas": 2, "maxReplicas": 3, "wva": {"variantCost": "20", "keda": {"pollingInterval": 15, "idleReplicaCount": 1}}},
        "parallelism": {"tensor": 8, "data": 2, "dataLocal": 1},
        "template": pod,
        "worker": pod,
        "kvCacheOffloading": {"cpu": "64Gi"},
        "router": {
            "route": {"http": {"refs": [{"name": "qwen-route"}]}},
            "gateway": {"refs": [{"name": "inference-gateway", "namespace": "gateway-system", "sectionName": "https"}]},
            "scheduler": {"config": {"ref": {"name": "epp-config", "key": "config.yaml"}}, "replicas": 2},
        },
    }
    assert schemas.validate(service) == []


def test_shell_words_survive_the_presets_eval():
    """KServe's preset runs `eval "exec vllm serve ... $@"`: each argument must reach the engine unchanged."""
    args = ["--max-model-len=8192", """--kv-transfer-config={"kv_connector":"NixlConnector","kv_role":"kv_both"}""", "--chat-template", "a b's"]
    words = [shell_word(arg) for arg in args]
    assert words == ["--max-model-len=8192", """--kv-transfer-config='{"kv_connector":"NixlConnector","kv_role":"kv_both"}'""", "--chat-template", "'a b'\"'\"'s'"]
    run = subprocess.run(["bash", "-c", 'eval "printf \'%s\\n\' $@"', "--", *words], capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == args


def test_every_rule_is_a_located_error_reported_at_once(project):
    errors = problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:llmPresets:
            - name: kserve-config-llm-template
            - name: shared-route
              router: {route: managed}
          modelfleet:models:
            - name: pd
              backend: llm
              runtime: vllm
              storage: {name: hub, path: meta-llama/Llama-3.1-8B-Instruct}
              gpu: {pool: a100, count: 2}
              containerConcurrency: 4
              engine: {tensorParallelSize: 2, extraArgs: ["--port=9000", "--kv-transfer-config={}"]}
              scaling: {minReplicas: 1, maxReplicas: 3}
              llm:
                parallelism: {tensor: 1, data: 2}
                presets: [shared-route, nosuch]
                router: {route: none, scheduler: none}
                kvCacheOffloading: {cpu: 8Gi}
                prefill:
                  gpu: {pool: a100, count: 3}
                  scaling: {minReplicas: 0, maxReplicas: 2, autoscaler: hpa, metric: cpu, target: 80}
            - name: gs
              backend: llm
              runtime: vllm22
              storageUri: gs://bucket/model
              gpu: {pool: a100, count: 16, perPod: 8}
              scaling: {minReplicas: 2, maxReplicas: 3, autoscaler: keda}
              llm:
                parallelism: {tensor: 4, dataLocal: 2, data: 3}
                router: {route: [my-route]}
                lora: {adapters: [{name: gs, uri: "hf://a/b"}, {name: x, uri: "hf://a/c"}, {name: x, uri: "hf://a/d"}], maxRank: 7}
                keda: {idleReplicaCount: 2}
                prefill:
                  gpu: {pool: a100, count: 2}
                  scaling: {minReplicas: 2, maxReplicas: 4, autoscaler: hpa}
            - name: dup
              backend: llm
              runtime: vllm22
              storage: {name: hub, path: a/b}
              gpu: {pool: a100}
              engine: {servedModelName: gs}
        """, shared=LLM_SHARED)
    assert errors == [
        "stacks/Pulumi.dev.yaml:4:7: llmPresets[0].name: 'kserve-config-llm-template' starts with kserve-, the prefix of KServe's well-known presets, which the controller looks up by name in the model's namespace first; a preset of that name would replace KServe's own for every model there: rename it",
        "stacks/Pulumi.dev.yaml:13:7: models[0].containerConcurrency: containerConcurrency is not an LLMInferenceService setting; remove it",
        "stacks/Pulumi.dev.yaml:14:16: models[0].engine.tensorParallelSize: on the llm backend use llm.parallelism.tensor (KServe's preset passes --tensor-parallel-size from it); remove engine.tensorParallelSize",
        "stacks/Pulumi.dev.yaml:14:51: models[0].engine.extraArgs[0]: KServe's preset sets --port from the LLMInferenceService; remove it (use engine.servedModelName, llm.parallelism or llm.lora)",
        "stacks/Pulumi.dev.yaml:14:66: models[0].engine.extraArgs[1]: --kv-transfer-config needs vLLM 0.6.5 or later (the runtime pins 0.6.3); pin vLLM 0.6.5 or later, or remove it",
        "stacks/Pulumi.dev.yaml:14:66: models[0].engine.extraArgs[1]: --kv-transfer-config is set by the prefill/decode split or llm.kvCacheOffloading; remove it",
        "stacks/Pulumi.dev.yaml:15:33: models[0].scaling.maxReplicas: replicas 1..3 need an autoscaler: set autoscaler hpa or keda (WVA), or maxReplicas equal to minReplicas",
        "stacks/Pulumi.dev.yaml:17:23: models[0].llm.parallelism.tensor: KServe's single-node preset runs one engine with --tensor-parallel-size 1 on a pod of 2 GPU(s); set tensor to 2, or gpu.count to 1",
        "stacks/Pulumi.dev.yaml:17:34: models[0].llm.parallelism.data: data is for data parallel ranks over the pods of a replica (KServe's worker preset); a replica here is one pod: remove it, or spread the replica with gpu.perPod",
        "stacks/Pulumi.dev.yaml:18:33: models[0].llm.presets[1]: unknown llm preset 'nosuch'; defined: kserve-config-llm-template, shared-route",
        "stacks/Pulumi.dev.yaml:19:18: models[0].llm.router.route: preset 'shared-route' sets router.route, and a model cannot remove what its presets set (KServe merges presets first); drop the preset from llm.presets or set route there",
        "stacks/Pulumi.dev.yaml:20:9: models[0].llm.kvCacheOffloading: KServe's preset adds KV-cache offloading only when no --kv-transfer-config is given, and the prefill/decode split sets one (NixlConnector): it would be dropped silently; remove kvCacheOffloading",
        "stacks/Pulumi.dev.yaml:21:9: models[0].llm.prefill: the prefill/decode split hands the KV cache over with vLLM's NixlConnector, which vLLM has from 0.9.0; runtime 'vllm' pins 0.6.3: use a newer vLLM image",
        "stacks/Pulumi.dev.yaml:21:9: models[0].llm.prefill: the scheduler sends each request's prefill to the prefill pool; with scheduler: none no request reaches it; remove scheduler: none",
        "stacks/Pulumi.dev.yaml:23:21: models[0].llm.prefill.scaling.minReplicas: WVA keeps at least one replica (minReplicas has a minimum of 1); set minReplicas to 1 or more, or use llm.keda.idleReplicaCount for the idle floor",
        "stacks/Pulumi.dev.yaml:23:70: models[0].llm.prefill.scaling.metric: WVA scales an LLMInferenceService on the saturation it reads from the engines (KV cache, queue); remove metric and target",
        "stacks/Pulumi.dev.yaml:27:7: models[1].storageUri: KServe's LLMInferenceService controller fetches hf://, s3://, pvc://, oci:// models, not gs://; copy the model to one of those",
        "stacks/Pulumi.dev.yaml:31:48: models[1].llm.parallelism.data: KServe sizes the LeaderWorkerSet data / dataLocal = 1 pod(s), but a replica has gpu.count / perPod = 2; set data to 4 (dataLocal x pods)",
        "stacks/Pulumi.dev.yaml:32:18: models[1].llm.router.route: existing HTTPRoutes cannot be used with KServe's managed gateway (the webhook rejects it): set router.gateway to the Gateways those routes attach to, or route: managed",
        "stacks/Pulumi.dev.yaml:33:28: models[1].llm.lora.adapters[0].name: adapter 'gs' has the base model's served name; clients could not tell them apart: rename it",
        "stacks/Pulumi.dev.yaml:33:85: models[1].llm.lora.adapters[2].name: adapter 'x' is already adapters[1]; give each adapter its own name",
        "stacks/Pulumi.dev.yaml:33:113: models[1].llm.lora.maxRank: vLLM 0.22.0 accepts max LoRA ranks 1, 8, 16, 32, 64, 128, 256, 320, 512, not 7; set maxRank to 8",
        "stacks/Pulumi.dev.yaml:34:16: models[1].llm.keda.idleReplicaCount: idleReplicaCount 2 must be below the decode pool's minReplicas 2 (a CEL rule of scaling); lower it or raise minReplicas",
        "stacks/Pulumi.dev.yaml:37:53: models[1].llm.prefill.scaling.autoscaler: decode scales with keda and prefill with hpa; KServe requires one actuator for both (two metric pipelines would scale them out of step): use the same autoscaler",
        "stacks/Pulumi.dev.yaml:43:16: models[2].engine.servedModelName: models[1] already serves 'gs' on the llm backend in namespace ml-dev; both routes would match /publishers/ml-dev/models/gs and requests would reach either: give each model its own served name",
    ]


@pytest.mark.parametrize(
    ("llm", "expected"),
    [
        ("{parallelism: {tensor: 3}, prefill: {gpu: {pool: a100, count: 2}}}",
         "stacks/Pulumi.dev.yaml:8:41: models[0].llm.prefill.parallelism.tensor: prefill tensor parallel size 2 and decode 3 do not divide one another, so NixlConnector cannot map the KV heads of one pool's ranks onto the other's; make one a multiple of the other"),
        ("{prefill: {gpu: {pool: v100, count: 1}}}",
         "stacks/Pulumi.dev.yaml:8:25: models[0].llm.prefill.gpu: llama-3.1-8b 16-bit weights take 14.96 GiB on each of its 1 GPU(s), plus 1.63 GiB of activations and buffers, but vLLM may use 14.43 GiB of a 16Gi GPU of pool 'v100' (gpuMemoryUtilization 0.92 of the 15.68 GiB it reports); use llm.prefill.gpu.pool a100 (80Gi per GPU): 455,008 KV tokens, 55.54x at 8,192; or set llm.prefill.parallelism.tensor: 2 with llm.prefill.gpu.count: 2: 88,496 KV tokens, 10.80x at 8,192; or serve an 8-bit (FP8 or INT8) checkpoint (8.46 GiB of weights per GPU): 35,552 KV tokens, 4.34x at 8,192"),
        ("{router: {route: none}}",
         "stacks/Pulumi.dev.yaml:8:15: models[0].llm.router.scheduler: the scheduler picks endpoints for requests that come through the route, and route is none: it would run idle; set scheduler: none, or a route"),
        ("{kvCacheOffloading: {cpu: 8Gi}, variantCost: '5'}",
         "stacks/Pulumi.dev.yaml:8:46: models[0].llm.variantCost: variantCost is read by WVA, and no pool autoscales; remove it or set scaling.autoscaler hpa or keda"),
    ],
    ids=["nixl-tensor-ratio", "prefill-gpu-fit", "idle-scheduler", "variant-cost-without-wva"],
)
def test_pool_rules(project, llm, expected):
    errors = problems_of(project, f"""
        config:
          modelfleet:environment: {{namespace: ml-dev}}
          modelfleet:gpuPools:
            - {{name: v100, gpuModel: Tesla-V100-SXM2-16GB, memoryPerGpu: 16Gi, gpusPerNode: 4}}
          modelfleet:models:
            - {{name: pd, backend: llm, runtime: vllm22, storage: {{name: hub, path: m/l}}, architecture: llama-3.1-8b,
                gpu: {{pool: a100, count: {3 if "tensor: 3" in llm else 1}}}, engine: {{maxModelLen: 8192}},
                llm: {llm}}}
        """, shared=LLM_SHARED)
    assert errors == [expected]


def test_diff_summarises_both_pools(project):
    objects = compile_llm(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - name: pd
              backend: llm
              runtime: vllm22
              storage: {name: models, path: llama}
              gpu: {pool: a100, count: 2}
              scaling: {minReplicas: 1, maxReplicas: 3, autoscaler: hpa}
              llm:
                prefill:
                  gpu: {pool: h100, count: 16, perPod: 8}
                  scaling: {minReplicas: 1, maxReplicas: 2, autoscaler: hpa}
        """)
    [summary] = [summary for summary in serving_summaries(objects).values() if summary.backend == "llm"]
    # decode 2 GPUs x 1..3 replicas, prefill 16 GPUs (a LeaderWorkerSet of 2 pods) x 1..2 replicas
    assert (summary.gpus_min, summary.gpus_max, summary.replicas_min, summary.replicas_max) == (18, 38, 1, 3)
    assert summary.image == "vllm/vllm-openai:v0.22.0" and summary.storage == "pvc://model-storage/llama"
    assert summary.engine_options == (("--kv-transfer-config", '{"kv_connector":"NixlConnector","kv_role":"kv_both"}'),)
    assert summary.autoscaling == (
        ("scaling.hpa", "{}"), ("prefill.replicas", "1..2"), ("prefill.GPUs per replica", "16"), ("prefill.scaling.hpa", "{}"),
        ("router", '{"gateway": {}, "route": {}, "scheduler": {}}'),
    )


def test_policy_pack_walks_every_pod_template(pack):
    assert pack.findings(LLMISVC) == []
    prefill_worker = ("spec", "prefill", "worker")
    assert pack.messages("gpu-toleration", edited(LLMISVC, (*prefill_worker, "tolerations"), DELETE)) == [
        "spec.prefill.worker: requests nvidia.com/gpu ('main') but does not tolerate the GPU taint nvidia.com/gpu"
    ]
    scheduler = ("spec", "router", "scheduler", "template", "containers", 0)
    assert pack.messages("no-latest-image", edited(LLMISVC, (*scheduler, "image"), "ghcr.io/llm-d/llm-d-router-endpoint-picker:latest")) == [
        "spec.router.scheduler.template.containers[0].image: 'ghcr.io/llm-d/llm-d-router-endpoint-picker:latest' uses the :latest tag"
    ]
    trusted = edited(LLMISVC, ("spec", "prefill", "template", "containers", 0, "args"), ["--trust-remote-code"])
    assert pack.messages("trust-remote-code", trusted) == [
        "spec.prefill.template.containers[0]: --trust-remote-code trusts remote code from 'hf://meta-llama/Llama-3.1-8B-Instruct', 'meta-llama/Llama-3.1-8B-Instruct', which is not on the allow-list"
    ]
    assert pack.messages("trust-remote-code", trusted, config={"trust-remote-code": {"allowedModels": ["meta-llama/*"]}}) == []
    # decode 1 GPU x 2 max replicas + prefill 1 replica of 2 pods x 1 GPU = 4 GPUs at maximum scale
    assert pack.messages("gpu-budget", LLMISVC, config={"gpu-budget": {"maxGpus": 3}}) == [
        "the stack holds 4 GPUs at maximum scale, over the budget of 3; largest: LLMInferenceService ml/llama-pd 4"
    ]


LLM_POD = """
    config:
      modelfleet:environment:
        namespace: ml-dev
        pod: {imagePullSecrets: [registry-creds], priorityClassName: inference, nodeSelector: {node-class: inference}}
      modelfleet:models:
        - name: pd
          backend: llm
          runtime: vllm22
          storage: {name: hub, path: meta-llama/Llama-3.1-8B-Instruct}
          gpu: {pool: h100, count: 2, perPod: 1}
          llm:
            prefill: {gpu: {pool: a100, count: 1}}
"""


def test_pod_settings_reach_every_pool_template_and_worker(project, schemas):
    """environment.pod under models[].pod reaches spec.template, spec.worker and spec.prefill.template, each on its
    own GPU pool; the router's scheduler (a CPU pod of KServe's image) keeps the presets' settings."""
    objects = compile_llm(project, LLM_POD + """
          pod:
            tolerations: [{key: spot, operator: Exists}]
            topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}]
            volumes: [{name: cache, mountPath: /cache, pvc: llm-cache}]
            securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, readOnlyRootFilesystem: true, dropAllCapabilities: true}
    """)
    spec = by_kind(objects)[("LLMInferenceService", "pd")]["spec"]

    def pod(gpu_product: str, args: list[str]) -> dict:
        return {
            "containers": [{
                "name": "main",
                "image": "vllm/vllm-openai:v0.22.0",
                "args": args,
                "env": [
                    {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}},
                    {"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "HOME", "value": "/tmp"},
                ],
                "resources": {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}},
                "volumeMounts": [{"name": "cache", "mountPath": "/cache"}, {"name": "tmp", "mountPath": "/tmp"}],
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
            }],
            "imagePullSecrets": [{"name": "registry-creds"}],
            "nodeSelector": {"node-class": "inference", "nvidia.com/gpu.product": gpu_product},
            "tolerations": [*TOLERATION, {"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}],
            "priorityClassName": "inference",
            "securityContext": {"fsGroup": 1000},
            "volumes": [{"name": "cache", "persistentVolumeClaim": {"claimName": "llm-cache"}}, {"name": "tmp", "emptyDir": {}}],
        }

    kv = """--kv-transfer-config='{"kv_connector":"NixlConnector","kv_role":"kv_both"}'"""
    assert spec["template"] == spec["worker"] == pod("NVIDIA-H100-80GB", [kv])
    assert spec["prefill"]["template"] == pod("NVIDIA-A100-SXM4-80GB", [kv])
    assert "worker" not in spec["prefill"]
    assert spec["router"] == {"route": {}, "gateway": {}, "scheduler": {}}  # no scheduler template: the presets'
    assert schemas.validate(by_kind(objects)[("LLMInferenceService", "pd")]) == []


def test_pod_settings_the_llm_pods_cannot_take_are_located_errors(project):
    """The prefill pool's selector is checked too; the presets own the probes and the TLS mount, KServe the rollout."""
    assert problems_of(project, LLM_POD + """
          pod:
            nodeSelector: {nvidia.com/gpu.product: NVIDIA-H100-80GB}
            volumes: [{name: certs, mountPath: /etc/ssl/certs, secret: my-certs}]
            probes: {startup: {failureThreshold: 360}}
            rollout: {maxSurge: 0, maxUnavailable: 1}
    """, shared=LLM_SHARED) == [
        "stacks/Pulumi.dev.yaml:15:24: models[0].pod.nodeSelector.nvidia.com/gpu.product: the GPU pool selects nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB; NVIDIA-H100-80GB would leave the pods unschedulable; remove the key or use another GPU pool",
        "stacks/Pulumi.dev.yaml:16:33: models[0].pod.volumes[0].mountPath: /etc/ssl/certs is already mounted (KServe's llm presets mount it); mount the volume elsewhere",
        "stacks/Pulumi.dev.yaml:17:9: models[0].pod.probes: KServe's llm presets set the probes of the main container (HTTPS, on port 8001 behind the decode pods' routing sidecar) of an LLMInferenceService; remove probes",
        "stacks/Pulumi.dev.yaml:18:9: models[0].pod.rollout: rollout is for pods of a Deployment; an LLMInferenceService is not (KServe creates its Deployment or LeaderWorkerSet, and the LLMInferenceService has no strategy field); remove rollout",
    ]
