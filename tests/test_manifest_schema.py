"""Tests for modelfleet.schemas.validate (strict validation of rendered manifests)."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from modelfleet.schemas.validate import ManifestSchemaError, ManifestSchemas, SchemaProblem, _strip_schema_blocks

CRD_DIR = Path(__file__).resolve().parents[2] / "shared" / "crds"

if not CRD_DIR.is_dir():
    pytest.skip(f"upstream CRD directory {CRD_DIR} not found (expected as the repo root's sibling shared/crds)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def schemas() -> ManifestSchemas:
    return ManifestSchemas.from_crd_dir(CRD_DIR)


# ---------------------------------------------------------------------------
# Sample objects (fresh copies per call, tests mutate them)


def isvc() -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": "llama-3-8b",
            "namespace": "ml-prod",
            "labels": {"app.kubernetes.io/name": "llama-3-8b", "modelfleet.io/team": "search"},
            "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"},
        },
        "spec": {
            "predictor": {
                "serviceAccountName": "models-sa",
                "minReplicas": 1,
                "maxReplicas": 4,
                "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-A10G"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "model": {
                    "modelFormat": {"name": "huggingface"},
                    "runtime": "kserve-huggingfaceserver",
                    "runtimeVersion": "v0.15.2",
                    "storageUri": "s3://models/llama-3-8b/v3",
                    "args": ["--max-model-len=4096", "--dtype=float16"],
                    "env": [
                        {"name": "HF_HOME", "value": "/tmp/hf"},
                        {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}},
                    ],
                    "resources": {
                        "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
                        "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
                    },
                },
            }
        },
    }


def _runtime_spec() -> dict:
    return {
        "supportedModelFormats": [{"name": "huggingface", "version": "1", "autoSelect": True, "priority": 1}],
        "protocolVersions": ["v2", "v1"],
        "containers": [
            {
                "name": "kserve-container",
                "image": "kserve/huggingfaceserver:v0.15.2",
                "args": ["--model_name={{.Name}}"],
                "resources": {"limits": {"cpu": "1", "memory": "2Gi"}},
            }
        ],
    }


def serving_runtime() -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "hf-runtime", "namespace": "ml-prod"},
        "spec": _runtime_spec(),
    }


def cluster_serving_runtime() -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {"name": "hf-runtime"},
        "spec": _runtime_spec(),
    }


def knative_service() -> dict:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "echo", "namespace": "ml-prod"},
        "spec": {
            "template": {
                "metadata": {"annotations": {"autoscaling.knative.dev/min-scale": "1"}},
                "spec": {
                    "containerConcurrency": 10,
                    "containers": [
                        {
                            "image": "ghcr.io/example/echo:1.0",
                            "ports": [{"containerPort": 8080}],
                            "env": [{"name": "TARGET", "value": "world"}],
                            "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
                        }
                    ],
                },
            },
            "traffic": [{"latestRevision": True, "percent": 100}],
        },
    }


def ray_cluster() -> dict:
    container = {"image": "rayproject/ray:2.40.0", "resources": {"limits": {"cpu": "2", "memory": "8Gi"}}}
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "ray-gpu", "namespace": "ml-prod"},
        "spec": {
            "rayVersion": "2.40.0",
            "headGroupSpec": {
                "rayStartParams": {"dashboard-host": "0.0.0.0"},
                "template": {"spec": {"containers": [{"name": "ray-head", **container}]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": "gpu",
                    "replicas": 1,
                    "minReplicas": 0,
                    "maxReplicas": 4,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [{"name": "ray-worker", **container}]}},
                }
            ],
        },
    }


CORE_OBJECTS = {
    "ServiceAccount": {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "models-sa", "namespace": "ml-prod"}},
    "Namespace": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-prod", "labels": {"team": "search"}}},
    "PersistentVolumeClaim": {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "model-cache", "namespace": "ml-prod"},
        "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "efs", "resources": {"requests": {"storage": "100Gi"}}},
    },
    "PersistentVolume": {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "model-cache-pv"},
        "spec": {
            "capacity": {"storage": "100Gi"},
            "accessModes": ["ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "nfs": {"server": "10.0.0.2", "path": "/models"},
        },
    },
    "Service": {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "router", "namespace": "ml-prod"},
        "spec": {"selector": {"app": "router"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    },
    "Deployment": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "router", "namespace": "ml-prod"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "router"}},
            "template": {
                "metadata": {"labels": {"app": "router"}},
                "spec": {"containers": [{"name": "router", "image": "nginx:1.27", "ports": [{"containerPort": 8080}]}]},
            },
        },
    },
}

# kind -> (path of the parent mapping, its expected problem path, misspelt key)
CORE_TYPOS = {
    "ServiceAccount": ((), "", "automountServiceAcountToken"),
    "Namespace": (("metadata",), "metadata", "lables"),
    "PersistentVolumeClaim": (("spec",), "spec", "storageClass"),
    "PersistentVolume": (("spec",), "spec", "reclaimPolicy"),
    "Service": (("spec", "ports", 0), "spec.ports[0]", "target_port"),
    "Deployment": (("spec", "template", "spec", "containers", 0), "spec.template.spec.containers[0]", "imagePullPolicyy"),
}


def _at(obj: dict, path: tuple) -> dict:
    for part in path:
        obj = obj[part]
    return obj


def _messages(problems: list[SchemaProblem]) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in problems]


# ---------------------------------------------------------------------------
# Valid objects


@pytest.mark.parametrize(
    "make", [isvc, serving_runtime, cluster_serving_runtime, knative_service, ray_cluster], ids=lambda f: f.__name__
)
def test_valid_custom_resources_pass(schemas: ManifestSchemas, make) -> None:
    assert schemas.validate(make()) == []


@pytest.mark.parametrize("kind", sorted(CORE_OBJECTS))
def test_valid_core_objects_pass(schemas: ManifestSchemas, kind: str) -> None:
    assert schemas.validate(copy.deepcopy(CORE_OBJECTS[kind])) == []


def test_preserve_unknown_fields_subtrees_stay_open(schemas: ManifestSchemas) -> None:
    ksvc = knative_service()
    ksvc["spec"]["template"]["spec"]["tolerations"] = [{"key": "a", "operator": "Exists", "futureField": 1}]
    assert schemas.validate(ksvc) == []
    obj = isvc()
    obj["status"] = {"anything": ["goes"]}  # InferenceService status is preserve-unknown-fields
    assert schemas.validate(obj) == []


# ---------------------------------------------------------------------------
# Problems in custom resources


def test_storage_uri_typo_is_an_unknown_field(schemas: ManifestSchemas) -> None:
    obj = isvc()
    model = obj["spec"]["predictor"]["model"]
    model["storageURI"] = model.pop("storageUri")
    problems = schemas.validate(obj)
    assert problems == [
        SchemaProblem(
            api_version="serving.kserve.io/v1beta1",
            kind="InferenceService",
            name="llama-3-8b",
            namespace="ml-prod",
            path="spec.predictor.model",
            message="unknown field 'storageURI'",
        )
    ]
    assert str(problems[0]) == "InferenceService ml-prod/llama-3-8b: spec.predictor.model: unknown field 'storageURI'"


def test_float_quantity_is_rejected(schemas: ManifestSchemas) -> None:
    obj = isvc()
    obj["spec"]["predictor"]["model"]["resources"]["limits"]["cpu"] = 0.5
    (problem,) = schemas.validate(obj)
    assert problem.path == "spec.predictor.model.resources.limits.cpu"
    assert problem.message.startswith("0.5 is not of type 'integer' or 'string'")


def test_gpu_quantity_path_quotes_dotted_key(schemas: ManifestSchemas) -> None:
    obj = isvc()
    obj["spec"]["predictor"]["model"]["resources"]["limits"]["nvidia.com/gpu"] = "one"
    (problem,) = schemas.validate(obj)
    assert problem.path == 'spec.predictor.model.resources.limits["nvidia.com/gpu"]'
    assert "does not match" in problem.message


def test_wrong_type_is_reported(schemas: ManifestSchemas) -> None:
    obj = isvc()
    obj["spec"]["predictor"]["minReplicas"] = "two"
    assert _messages(schemas.validate(obj)) == [("spec.predictor.minReplicas", "'two' is not of type 'integer'")]


def test_ray_cluster_needs_min_and_max_replicas(schemas: ManifestSchemas) -> None:
    obj = ray_cluster()
    del obj["spec"]["workerGroupSpecs"][0]["minReplicas"]
    del obj["spec"]["workerGroupSpecs"][0]["maxReplicas"]
    assert _messages(schemas.validate(obj)) == [
        ("spec.workerGroupSpecs[0]", "'maxReplicas' is a required property"),
        ("spec.workerGroupSpecs[0]", "'minReplicas' is a required property"),
    ]


def test_many_problems_in_one_object_are_all_reported_sorted(schemas: ManifestSchemas) -> None:
    obj = isvc()
    predictor = obj["spec"]["predictor"]
    predictor["maxReplicas"] = "4"
    predictor["tolerations"][0]["efect"] = "NoSchedule"
    predictor["model"]["storageURI"] = predictor["model"].pop("storageUri")
    del predictor["model"]["modelFormat"]["name"]
    obj["metadata"]["name"] = "Llama_3"
    obj["spec"]["predictr"] = {}
    problems = schemas.validate(obj)
    assert _messages(problems) == [
        ("metadata.name", problems[0].message),
        ("spec", "unknown field 'predictr'"),
        ("spec.predictor.maxReplicas", "'4' is not of type 'integer'"),
        ("spec.predictor.model", "unknown field 'storageURI'"),
        ("spec.predictor.model.modelFormat", "'name' is a required property"),
        ("spec.predictor.tolerations[0]", "unknown field 'efect'"),
    ]
    assert problems[0].message.startswith("invalid name 'Llama_3'")
    assert all(p.name == "Llama_3" and p.namespace == "ml-prod" for p in problems)


def test_unknown_kind_is_an_error(schemas: ManifestSchemas) -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"}}
    assert not schemas.knows("example.com/v1", "Widget")
    assert _messages(schemas.validate(obj)) == [
        ("", "no schema for apiVersion example.com/v1 kind Widget; add its CRD to the CRD directory")
    ]


def test_unserved_or_wrong_version_is_unknown(schemas: ManifestSchemas) -> None:
    assert schemas.knows("serving.kserve.io/v1beta1", "InferenceService")
    assert not schemas.knows("serving.kserve.io/v1alpha1", "InferenceService")
    assert schemas.knows("ray.io/v1alpha1", "RayCluster")  # deprecated but still served


def test_missing_api_version_and_kind(schemas: ManifestSchemas) -> None:
    problems = schemas.validate({"metadata": {"name": "x"}})
    assert [p.path for p in problems] == ["", ""]
    assert "'apiVersion' is a required property" in problems[0].message + problems[1].message


# ---------------------------------------------------------------------------
# Core kinds


@pytest.mark.parametrize("kind", sorted(CORE_TYPOS))
def test_core_typo_is_flagged(schemas: ManifestSchemas, kind: str) -> None:
    obj = copy.deepcopy(CORE_OBJECTS[kind])
    parent_path, expected_path, key = CORE_TYPOS[kind]
    _at(obj, parent_path)[key] = "x"
    assert _messages(schemas.validate(obj)) == [(expected_path, f"unknown field '{key}'")]


def test_core_wrong_type(schemas: ManifestSchemas) -> None:
    svc = copy.deepcopy(CORE_OBJECTS["Service"])
    svc["spec"]["ports"][0]["port"] = "eighty"
    assert _messages(schemas.validate(svc)) == [("spec.ports[0].port", "'eighty' is not of type 'integer'")]


def test_scope(schemas: ManifestSchemas) -> None:
    assert schemas.is_namespaced("serving.kserve.io/v1alpha1", "ClusterServingRuntime") is False
    assert schemas.is_namespaced("serving.kserve.io/v1alpha1", "ServingRuntime") is True
    assert schemas.is_namespaced("serving.kserve.io/v1beta1", "InferenceService") is True
    assert schemas.is_namespaced("v1", "Namespace") is False
    assert schemas.is_namespaced("v1", "PersistentVolume") is False
    assert schemas.is_namespaced("apps/v1", "Deployment") is True
    assert schemas.is_namespaced("rbac.authorization.k8s.io/v1", "ClusterRole") is False
    with pytest.raises(ManifestSchemaError):
        schemas.is_namespaced("example.com/v1", "Widget")


def test_namespace_on_cluster_scoped_kind_is_flagged(schemas: ManifestSchemas) -> None:
    obj = cluster_serving_runtime()
    obj["metadata"]["namespace"] = "ml-prod"
    (problem,) = schemas.validate(obj)
    assert problem.path == "metadata.namespace"
    assert "cluster-scoped" in problem.message


# ---------------------------------------------------------------------------
# metadata


@pytest.mark.parametrize("name", ["Llama", "llama_3", "-llama", "llama.", "a" * 254, ""])
def test_bad_metadata_name(schemas: ManifestSchemas, name: str) -> None:
    obj = isvc()
    obj["metadata"]["name"] = name
    problems = schemas.validate(obj)
    assert [p.path for p in problems] == ["metadata.name"]
    assert "DNS-1123 subdomain" in problems[0].message


def test_missing_metadata_name(schemas: ManifestSchemas) -> None:
    obj = copy.deepcopy(CORE_OBJECTS["ServiceAccount"])
    del obj["metadata"]["name"]
    assert _messages(schemas.validate(obj)) == [("metadata", "'name' is a required property")]
    assert schemas.validate({"apiVersion": "v1", "kind": "ConfigMap"})[0].message == "'metadata' is a required property"


def test_kind_specific_name_rules(schemas: ManifestSchemas) -> None:
    ns = copy.deepcopy(CORE_OBJECTS["Namespace"])
    ns["metadata"]["name"] = "a.b"  # a subdomain but not a label
    assert [p.path for p in schemas.validate(ns)] == ["metadata.name"]
    svc = copy.deepcopy(CORE_OBJECTS["Service"])
    svc["metadata"]["name"] = "1router"  # services need a DNS-1035 label
    assert [p.path for p in schemas.validate(svc)] == ["metadata.name"]
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "modelfleet:reader"}, "rules": []}
    assert schemas.validate(role) == []


def test_metadata_is_strict_in_custom_resources(schemas: ManifestSchemas) -> None:
    obj = isvc()
    obj["metadata"]["label"] = {"a": "b"}
    obj["metadata"]["labels"]["bad key!"] = "x"
    obj["metadata"]["labels"]["version"] = "v1/2"
    obj["metadata"]["annotations"]["replicas"] = 3
    obj["metadata"]["namespace"] = "ML"
    problems = schemas.validate(obj)
    assert [p.path for p in problems] == [
        "metadata",
        "metadata.annotations.replicas",
        'metadata.labels["bad key!"]',
        "metadata.labels.version",
        "metadata.namespace",
    ]
    assert problems[0].message == "unknown field 'label'"
    assert problems[1].message == "3 is not of type 'string', 'null'"
    assert problems[2].message.startswith("invalid label key 'bad key!'")
    assert problems[3].message.startswith("invalid label value 'v1/2'")
    assert problems[4].message.startswith("invalid namespace 'ML'")


def test_null_label_and_annotation_values(schemas: ManifestSchemas) -> None:
    obj = copy.deepcopy(CORE_OBJECTS["ServiceAccount"])
    obj["metadata"]["labels"] = {"team": None}
    obj["metadata"]["annotations"] = {"note": None}
    assert _messages(schemas.validate(obj)) == [
        ("metadata.annotations.note", "annotation value must be a string, got null"),
        ("metadata.labels.team", "label value must be a string, got null"),
    ]


def test_secret_values_are_not_echoed(schemas: ManifestSchemas) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hf", "namespace": "ml-prod"},
              "stringData": {"token": ["hf_supersecret"]}}
    (problem,) = schemas.validate(secret)
    assert problem.path == "stringData.token"
    assert "hf_supersecret" not in problem.message


# ---------------------------------------------------------------------------
# Loading


def test_from_crd_dir_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(ManifestSchemaError, match="CRD directory not found"):
        ManifestSchemas.from_crd_dir(tmp_path / "nope")
    assert issubclass(ManifestSchemaError, ValueError)


def test_from_crd_dir_without_crds(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ManifestSchemaError, match="no served CustomResourceDefinition"):
        ManifestSchemas.from_crd_dir(tmp_path)


_WIDGET_CRD = """\
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Cluster
  versions:
  - schema:   # a comment
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            properties:
              size:
                x-kubernetes-int-or-string: true
              note:
                type: string
                nullable: true
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  apiVersion: {type: string}
                  kind: {type: string}
                  metadata: {type: object}
              free:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known:
                    type: object
                    properties:
                      a: {type: string}
    name: v1
    served: true
    storage: true
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        description: |
          schema:
          not a key
"""


def test_small_crd_dir(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "widgets.yaml").write_text(_WIDGET_CRD)
    schemas = ManifestSchemas.from_crd_dir(tmp_path)
    assert schemas.knows("example.com/v1", "Widget")
    assert not schemas.knows("example.com/v0", "Widget")  # not served
    assert schemas.is_namespaced("example.com/v1", "Widget") is False
    good = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 3, "note": None, "template": {"kind": "X", "metadata": {"name": "t"}},
                 "free": {"anything": 1, "known": {"a": "b"}}},
    }
    assert schemas.validate(good) == []
    bad = copy.deepcopy(good)
    bad["spec"]["size"] = 1.5
    bad["spec"]["template"]["metadata"]["nmae"] = "t"
    bad["spec"]["free"]["known"]["b"] = 1
    problems = schemas.validate(bad)
    assert _messages(problems) == [
        ("spec.free.known", "unknown field 'b'"),
        ("spec.size", problems[1].message),
        ("spec.template.metadata", "unknown field 'nmae'"),
    ]
    assert problems[1].message.startswith("1.5 is not of type 'integer' or 'string'")
    (tmp_path / "copy.yaml").write_text(_WIDGET_CRD)
    with pytest.raises(ManifestSchemaError, match="defined twice"):
        ManifestSchemas.from_crd_dir(tmp_path)


def test_strip_schema_blocks_keeps_the_header() -> None:
    import yaml

    full = yaml.safe_load(_WIDGET_CRD)
    header = yaml.safe_load(_strip_schema_blocks(_WIDGET_CRD))
    for version in full["spec"]["versions"]:
        version["schema"] = {}
    assert header == full


# ---------------------------------------------------------------------------
# The fast path must agree with jsonschema


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_VALUES = [0, 1, -5, 2**40, 0.5, 1.0, True, None, "", "x", "Exists", "1Gi", "a b", [], [1], {}, {"a": 1}, 80, "TCP"]


def _mutate(obj: dict, rng: random.Random) -> dict:
    obj = copy.deepcopy(obj)
    paths = [p for p in _paths(obj) if p]
    for _ in range(rng.randint(1, 3)):
        *parent_path, last = rng.choice(paths)
        try:
            parent = _at(obj, tuple(parent_path))
            roll = rng.random()
            if roll < 0.15 and isinstance(parent, dict):
                parent.pop(last, None)
            elif roll < 0.3 and isinstance(parent, dict):
                parent[rng.choice(["extra", "Name"])] = copy.deepcopy(rng.choice(_VALUES))
            else:
                parent[last] = copy.deepcopy(rng.choice(_VALUES))
        except (KeyError, IndexError, TypeError):
            pass
    return obj


@pytest.mark.parametrize(
    "make",
    [isvc, serving_runtime, knative_service, ray_cluster, lambda: CORE_OBJECTS["Deployment"], lambda: CORE_OBJECTS["Service"]],
    ids=["isvc", "servingruntime", "ksvc", "raycluster", "deployment", "service"],
)
def test_fast_path_agrees_with_jsonschema(schemas: ManifestSchemas, make) -> None:
    sample = make()
    validator = schemas._validator(sample["apiVersion"], sample["kind"])
    assert validator._fast is not None, "the fast path should handle every keyword in these schemas"
    slow = validator._make_slow()
    rng = random.Random(42)
    invalid = 0
    for _ in range(250):
        obj = _mutate(sample, rng)
        expected = slow.is_valid(obj)
        assert validator._fast(obj) == expected, obj
        invalid += not expected
    assert invalid > 100  # the mutations do exercise the checks
