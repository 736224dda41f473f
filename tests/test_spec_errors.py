"""Bad stack files give every problem at once, each as file:line:col: path: what; how to fix."""

from __future__ import annotations

import pytest

from modelfleet.resolve.environment import resolve
from modelfleet.load.project import Project, SpecError
from modelfleet.spec.stack_loader import load_stack
from tests.conftest import MINIMAL_SHARED


def problems_of(project, stack_text: str, shared: str = MINIMAL_SHARED) -> list[str]:
    project.write("shared.yaml", shared)
    project.write("Pulumi.dev.yaml", stack_text)
    with pytest.raises(SpecError) as caught:
        resolve(load_stack(Project.at(project.root), "dev"))
    return [str(problem) for problem in caught.value.problems]


def test_minimal_stack_is_valid(project):
    project.write("shared.yaml", MINIMAL_SHARED)
    project.write("Pulumi.dev.yaml", "config:\n  modelfleet:environment:\n    namespace: ml-dev\n")
    plan = resolve(load_stack(Project.at(project.root), "dev"))
    assert plan.name == "dev" and [model.name for model in plan.models] == ["llama"]
    assert plan.models[0].storage_uri == "s3://models/llama-3-8b"


def test_every_problem_reported_with_position_and_fix(project):
    found = problems_of(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
            deploymentMode: Serverles
          modelfleet:models:
            - name: llama
              storageURI: s3://x
              scaling: {minReplicas: 3, maxReplicas: 1}
              gpu: {count: "2"}
              engine: {enablePrefixCaching: yes}
              resources: {requests: {cpu: 0.5}}
          modelfleet:modls: []
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:4:5: environment.deploymentMode: the string 'Serverles' is not allowed; use one of 'Standard', 'Knative', 'RawDeployment' or 'Serverless'",
        "stacks/Pulumi.dev.yaml:7:7: models[0].storageURI: unknown field 'storageURI'; did you mean 'storageUri'?",
        "stacks/Pulumi.dev.yaml:8:7: models[0].scaling: maxReplicas 1 is below minReplicas 3; raise maxReplicas or lower minReplicas",
        "stacks/Pulumi.dev.yaml:9:13: models[0].gpu.count: expected a whole number, got the string '2'; write it without quotes",
        "stacks/Pulumi.dev.yaml:10:16: models[0].engine.enablePrefixCaching: expected true or false, got the string 'yes'; write true or false (yes/no/on/off are strings in YAML 1.2)",
        "stacks/Pulumi.dev.yaml:11:30: models[0].resources.requests.cpu: 0.5 is a fraction; write quantities as strings, e.g. '0.5' or '500m'",
        "stacks/Pulumi.dev.yaml:12:3: config.modelfleet:modls: unknown config key; did you mean 'modelfleet:models'?",
    ]


def test_missing_required_field_points_at_its_parent(project):
    found = problems_of(project, "config:\n  modelfleet:environment:\n    labels: {a: b}\n")
    assert found == ["stacks/Pulumi.dev.yaml:2:3: environment.namespace: required field 'namespace' is missing; add it"]


def test_errors_in_shared_definitions_point_into_shared_file(project):
    shared = MINIMAL_SHARED.replace("gpusPerNode: 8", "gpusPerNode: 0")
    found = problems_of(project, "config:\n  modelfleet:environment:\n    namespace: ml-dev\n", shared)
    assert found == ["stacks/shared.yaml:5:7: gpuPools[0].gpusPerNode: 0 is out of range; it must be at least 1"]


def test_cross_reference_problems_are_located(project):
    found = problems_of(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
            deploymentMode: Standard
          modelfleet:models:
            - name: llama
              runtime: vlm
              gpu: {pool: h100}
              scaling: {minReplicas: 0, maxReplicas: 2, metric: concurrency, target: 4}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:7:7: models[0].runtime: unknown runtime 'vlm'; defined: vllm",
        "stacks/Pulumi.dev.yaml:8:13: models[0].gpu.pool: unknown GPU pool 'h100'; defined: a100",
        "stacks/Pulumi.dev.yaml:9:17: models[0].scaling.minReplicas: scale to zero needs Knative's KPA or Ray Serve, and this model is served as a Standard-mode InferenceService; set minReplicas to 1, or use backend: knative, deploymentMode: Knative or backend: ray",
        "stacks/Pulumi.dev.yaml:9:49: models[0].scaling.metric: metric 'concurrency' is a Knative KPA metric, and this model is served as a Standard-mode InferenceService; use cpu or memory, or backend: knative, or deploymentMode: Knative, or backend: ray",
    ]


def test_names_repeated_in_one_file_are_reported_not_merged(project):
    found = problems_of(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
          modelfleet:models:
            - name: llama
            - name: llama
              enabled: false
        """)
    assert found == ["stacks/Pulumi.dev.yaml:6:7: models[1].name: duplicate name 'llama' (also models[0]); names must be unique"]


def test_duplicate_yaml_keys_are_errors(project):
    found = problems_of(project, "config:\n  modelfleet:environment:\n    namespace: a\n    namespace: b\n")
    assert len(found) == 1 and found[0].startswith("stacks/Pulumi.dev.yaml:4:5: ")
    assert "duplicate key 'namespace'" in found[0]


def test_strict_types_no_coercion(project):
    found = problems_of(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
            createNamespace: "true"
          modelfleet:models:
            - name: llama
              scaling: {minReplicas: 1.0}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:4:5: environment.createNamespace: expected true or false, got the string 'true'; write it without quotes",
        "stacks/Pulumi.dev.yaml:7:17: models[0].scaling.minReplicas: expected a whole number, got the number 1.0; fix the value",
    ]


def test_host_name_limit_and_tensor_parallel(project):
    found = problems_of(project, """
        config:
          modelfleet:environment:
            namespace: a-rather-long-namespace-for-models
          modelfleet:models:
            - name: llama-three-eight-b-instruct
              format: vLLM
              runtime: vllm
              storageUri: s3://models/llama
              gpu: {pool: a100}
              engine: {tensorParallelSize: 2}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:5:7: models[0].name: the generated host 'llama-three-eight-b-instruct-predictor-a-rather-long-namespace-for-models' has 73 characters, over 63; shorten the model name or the namespace",
        "stacks/Pulumi.dev.yaml:10:16: models[0].engine.tensorParallelSize: tensorParallelSize 2 does not divide the 1 GPU(s) of a replica; set gpu.count to a multiple of 2",
    ]


def test_credential_values_are_refused_and_never_echoed(project):
    found = problems_of(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
          modelfleet:models:
            - name: llama
              env:
                - {name: HF_TOKEN, value: hf_SuperSecretValue123}
                - {name: AWS_SECRET_ACCESS_KEY, value: 42}
        """)
    assert all("SuperSecret" not in line and "42" not in line.split(": ", 1)[1] for line in found)
    assert found[0] == "stacks/Pulumi.dev.yaml:7:11: models[0].env[0]: HF_TOKEN has a literal value and its name says it is a credential; it must not be in the stack file: use secretKeyRef: {name: <secret>, key: <key>}"


def test_digest_pinned_runtime_refuses_runtime_version(project):
    shared = MINIMAL_SHARED.replace("vllm/vllm-openai:v0.6.3", "quay.io/modh/vllm@sha256:" + "8a3dd8ad6e15fe7b8e5e471037519719d4d8ad3db9d69389f2beded36a6f5b21")
    found = problems_of(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
          modelfleet:models:
            - name: llama
              runtimeVersion: v0.6.3
        """, shared)
    assert found == ["stacks/Pulumi.dev.yaml:6:7: models[0].runtimeVersion: runtime 'vllm' pins its image by digest; KServe would replace the digest with runtimeVersion and break the image; remove runtimeVersion (the digest already pins the engine)"]


def test_legacy_deployment_mode_names_are_normalised(project):
    project.write("shared.yaml", MINIMAL_SHARED)
    project.write("Pulumi.dev.yaml", "config:\n  modelfleet:environment:\n    namespace: ml-dev\n    deploymentMode: RawDeployment\n")
    plan = resolve(load_stack(Project.at(project.root), "dev"))
    assert plan.models[0].mode == "Standard"


# -- input that used to pass silently or crash -------------------------------------------------------------------

def test_a_mapping_as_a_name_is_located_not_a_crash(project):
    assert problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - name: {a: 1}
              runtime: vllm
        """) == ["stacks/Pulumi.dev.yaml:4:13: models[0].name: expected a string, got a mapping; write the entry's name"]


@pytest.mark.parametrize("text, expected", [
    ("[]\n", "Pulumi.yaml:1:1: expected a mapping (name, runtime, stackConfigDir, ...) as Pulumi reads it; fix Pulumi.yaml"),
    ("name: modelfleet\nstackConfigDir: [stacks]\n", "Pulumi.yaml:2:17: stackConfigDir: expected a relative directory inside the project, such as stacks; fix it"),
    ("name: modelfleet\nstackConfigDir: ../elsewhere\n", "Pulumi.yaml:2:17: stackConfigDir: expected a relative directory inside the project, such as stacks; fix it"),
    ("name: [modelfleet\n", "Pulumi.yaml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1); fix the syntax"),
])
def test_a_malformed_pulumi_yaml_is_located(project, text, expected):
    (project.root / "Pulumi.yaml").write_text(text)
    with pytest.raises(SpecError) as caught:
        Project.at(project.root)
    assert [str(problem) for problem in caught.value.problems] == [expected]


def test_unknown_keys_set_to_null_are_reported_like_any_unknown_key(project):
    assert problems_of(project, """
        config:
          modelfleet:environment:
            namespace: ml-dev
            namespce: null
          modelfleet:gpuPools:
            - name: a100
              cuont: ~
          modelfleet:models:
            - name: llama
              storage: null
              engin: null
        """) == [
        "stacks/Pulumi.dev.yaml:4:5: environment.namespce: unknown field 'namespce'; did you mean 'namespace'?",
        "stacks/Pulumi.dev.yaml:7:7: gpuPools[0].cuont: unknown field 'cuont'; allowed fields: name, resourceName, nodeSelector, tolerations, gpuModel, memoryPerGpu, gpusPerNode",
        "stacks/Pulumi.dev.yaml:9:7: models[0]: set exactly one of storage (a named connection) or storageUri",  # a known key: removed
        "stacks/Pulumi.dev.yaml:11:7: models[0].engin: unknown field 'engin'; did you mean 'engine'?",
    ]


def test_config_that_is_not_a_mapping_is_located(project):
    assert problems_of(project, "config: []\n")[0] == "stacks/Pulumi.dev.yaml:1:1: config: expected a mapping of config keys"


def test_a_shared_problem_is_printed_once_with_its_own_index(project):
    from modelfleet.compile import compile_environments

    project.write("shared.yaml", MINIMAL_SHARED.replace("gpusPerNode: 8", "gpusPerNode: 0"))
    for env in ("dev", "prod"):
        project.write(f"Pulumi.{env}.yaml", f"config:\n  modelfleet:environment: {{namespace: ml-{env}}}\n  modelfleet:models:\n    - name: extra\n      runtime: nosuch\n      storageUri: s3://models/x\n")
    with pytest.raises(SpecError) as caught:
        compile_environments(Project.at(project.root), ["dev", "prod"], None)
    assert [str(problem) for problem in caught.value.problems] == [
        "stacks/shared.yaml:5:7: gpuPools[0].gpusPerNode: 0 is out of range; it must be at least 1",  # once, for dev and prod
    ]


# -- credentials and managed keys in free-form values ----------------------------------------------------------------

GITHUB_TOKEN = "ghp_" + "x1Y2z3" * 6
RANDOM_KEY = "Qm9vbGVhbkZhY3Rvcnk3NDIxOTg2NTMyMTA5ODc2NTQzMjE"


def test_credentials_are_refused_by_name_and_by_shape_without_being_echoed(project):
    found = problems_of(project, f"""
        config:
          modelfleet:environment:
            namespace: ml-dev
          modelfleet:models:
            - name: llama
              env:
                - {{name: OPENAI_KEY, value: not-shown-1}}
                - {{name: GITHUB_PAT, value: not-shown-2}}
                - {{name: DOCKER_PASS, value: not-shown-3}}
                - {{name: NOTES, value: {GITHUB_TOKEN}}}
                - {{name: MAX_TOKENS, value: "512"}}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:7:11: models[0].env[0]: OPENAI_KEY has a literal value and its name says it is a credential; it must not be in the stack file: use secretKeyRef: {name: <secret>, key: <key>}",
        "stacks/Pulumi.dev.yaml:8:11: models[0].env[1]: GITHUB_PAT has a literal value and its name says it is a credential; it must not be in the stack file: use secretKeyRef: {name: <secret>, key: <key>}",
        "stacks/Pulumi.dev.yaml:9:11: models[0].env[2]: DOCKER_PASS has a literal value and its name says it is a credential; it must not be in the stack file: use secretKeyRef: {name: <secret>, key: <key>}",
        "stacks/Pulumi.dev.yaml:10:11: models[0].env[3]: NOTES has a literal value and its value looks like a GitHub token; it must not be in the stack file: use secretKeyRef: {name: <secret>, key: <key>}",
    ]
    assert not any(secret in line for line in found for secret in ("not-shown", GITHUB_TOKEN, RANDOM_KEY))


def test_credentials_in_arguments_and_labels_and_managed_keys_are_refused(project):
    found = problems_of(project, f"""
        config:
          modelfleet:environment:
            namespace: ml-dev
            labels: {{modelfleet.io/environment: prod}}
            annotations: {{example.com/deploy-token: abc123}}
          modelfleet:models:
            - name: llama
              engine:
                extraArgs: [--api-key, not-shown-4, "--hf-token=not-shown-5", --max-num-seqs, "8", "{RANDOM_KEY}"]
              labels: {{release: "{RANDOM_KEY}"}}
              annotations: {{serving.kserve.io/deploymentMode: Standard, autoscaling.knative.dev/max-scale: "9", example.com/owner: ml}}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:4:14: environment.labels.modelfleet.io/environment: modelfleet.io/environment is a label modelfleet sets itself; remove it and use the typed setting it stands for (deploymentMode, scaling, auth, metrics, ...)",
        "stacks/Pulumi.dev.yaml:5:19: environment.annotations.example.com/deploy-token: the annotation example.com/deploy-token has a literal value and its name says it is a credential; it would be written into every manifest and diff: remove it, or reference a Secret",
        "stacks/Pulumi.dev.yaml:9:32: models[0].engine.extraArgs[1]: --api-key has a literal value, which would be written into every manifest and diff; set the environment variable VLLM_API_KEY from a Secret (env: VLLM_API_KEY with secretKeyRef) and drop the flag",
        "stacks/Pulumi.dev.yaml:9:45: models[0].engine.extraArgs[2]: --hf-token has a literal value, which would be written into every manifest and diff; set the environment variable HF_TOKEN from a Secret (env: HF_TOKEN with secretKeyRef) and drop the flag",
        "stacks/Pulumi.dev.yaml:9:45: models[0].engine.extraArgs[2]: --hf-token needs vLLM 0.8.4 or later (the runtime pins 0.6.3); pin vLLM 0.8.4 or later, or remove it",
        "stacks/Pulumi.dev.yaml:9:92: models[0].engine.extraArgs[5]: this argument looks like a random token; it would be written into every manifest and diff: set it from a Secret instead (env with secretKeyRef)",
        "stacks/Pulumi.dev.yaml:10:16: models[0].labels.release: the label release has a literal value and its value looks like a random token; it would be written into every manifest and diff: remove it, or reference a Secret",
        "stacks/Pulumi.dev.yaml:11:21: models[0].annotations.serving.kserve.io/deploymentMode: serving.kserve.io/deploymentMode is an annotation modelfleet sets itself; remove it and use the typed setting it stands for (deploymentMode, scaling, auth, metrics, ...)",
        "stacks/Pulumi.dev.yaml:11:65: models[0].annotations.autoscaling.knative.dev/max-scale: autoscaling.knative.dev/max-scale is an annotation modelfleet sets itself; remove it and use the typed setting it stands for (deploymentMode, scaling, auth, metrics, ...)",
    ]
    assert not any(secret in line for line in found for secret in ("not-shown", RANDOM_KEY))


def test_values_that_must_not_pass(project):
    found = problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev, platform: {kserve: "0.9"}}
          modelfleet:storage:
            - name: cache
              newPvc: {size: -20Gi}
          modelfleet:runtimes:
            - name: vllm
              vllm: {image: "vllm/vllm-openai:v0.6.3", version: "9.9.9"}
          modelfleet:models:
            - name: llama
              resources: {requests: {cpu: "0"}}
              engine: {maxModelLen: 99999999999999999999999}
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:2:58: environment.platform.kserve: kserve 0.9 is not a version modelfleet compiles for; it supports 0.11 to 0.20: set the version the cluster runs",
        "stacks/Pulumi.dev.yaml:5:16: storage[0].newPvc.size: '-20Gi' is not above zero; write the amount needed, e.g. '500m', '2', '16Gi'",
        "stacks/Pulumi.dev.yaml:11:30: models[0].resources.requests.cpu: '0' is not above zero; write the amount needed, e.g. '500m', '2', '16Gi'",
        "stacks/Pulumi.dev.yaml:12:16: models[0].engine.maxModelLen: 99999999999999999999999 is too large (at most 9007199254740991); write a realistic value",
    ]


def test_a_version_the_image_tag_contradicts_and_repeated_env_vars(project):
    found = problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:runtimes:
            - name: vllm
              vllm:
                image: vllm/vllm-openai:v0.6.3
                version: "9.9.9"
                env: [{name: HF_HOME, value: /a}, {name: HF_HOME, value: /b}]
          modelfleet:models:
            - name: llama
              env: [{name: VLLM_LOGGING_LEVEL, value: INFO}, {name: VLLM_LOGGING_LEVEL, value: DEBUG}]
        """)
    assert found == [
        "stacks/Pulumi.dev.yaml:7:9: runtimes[0].vllm.version: version 9.9.9 contradicts the image tag v0.6.3; set version to the release the image holds, or point image at the release you mean",
        "stacks/Pulumi.dev.yaml:8:44: runtimes[0].vllm.env[1].name: HF_HOME is set twice (also env[0]); keep one",
        "stacks/Pulumi.dev.yaml:11:55: models[0].env[1].name: VLLM_LOGGING_LEVEL is set twice (also env[0]); keep one",
    ]


def test_a_rule_over_several_fields_is_located_at_the_field_that_is_set(project):
    shared = MINIMAL_SHARED.replace("      gpu: {pool: a100, count: 1}", "      gpu: {pool: a100, count: 1}\n      storageUri: s3://models/other")
    assert problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - name: llama
              displayName: Llama
        """, shared=shared) == ["stacks/shared.yaml:22:7: models[0].storage: set exactly one of storage (a named connection) or storageUri"]
    assert problems_of(project, """
        config:
          modelfleet:environment: {namespace: ml-dev}
          modelfleet:models:
            - name: llama
              storageUri: s3://models/mine
        """) == ["stacks/Pulumi.dev.yaml:5:7: models[0].storageUri: set exactly one of storage (a named connection) or storageUri"]


@pytest.mark.parametrize(("written", "message"), [
    ("1E310", "inf is not a quantity; write a finite amount as a string, e.g. '500m', '2', '16Gi'"),  # found by tests/test_fuzz.py
    (".nan", "nan is not a quantity; write a finite amount as a string, e.g. '500m', '2', '16Gi'"),
    ("0.5", "0.5 is a fraction; write quantities as strings, e.g. '0.5' or '500m'"),
])
def test_quantities_that_are_not_finite_amounts(project, written, message):
    assert problems_of(project, f"""
        config:
          modelfleet:environment: {{namespace: ml-dev}}
          modelfleet:models:
            - name: llama
              resources: {{requests: {{memory: {written}}}}}
        """) == [f"stacks/Pulumi.dev.yaml:5:30: models[0].resources.requests.memory: {message}"]


def test_a_schema_problem_of_a_built_object_is_located_at_the_value_it_comes_from(project):
    """A label value Kubernetes refuses passes the spec (a free-form map) and is caught on the built objects."""
    from modelfleet.compile import compile_environments
    from modelfleet.schemas.validate import ManifestSchemas

    project.write("shared.yaml", MINIMAL_SHARED.replace("  modelfleet:models:\n", "  modelfleet:environment:\n    labels: {team: " + "x" * 70 + "}\n  modelfleet:models:\n"))
    project.write("Pulumi.dev.yaml", "config:\n  modelfleet:environment: {namespace: ml-dev}\n  modelfleet:models:\n    - name: llama\n      labels: {tier: -bad-}\n")
    with pytest.raises(SpecError) as caught:
        compile_environments(Project.at(project.root), ["dev"], ManifestSchemas.vendored())
    found = sorted({(str(problem.position), problem.message.split(": ")[1]) for problem in caught.value.problems})
    assert found == [("stacks/Pulumi.dev.yaml:5:16", "metadata.labels.tier"), ("stacks/shared.yaml:19:14", "metadata.labels.team")]
