"""Tests for modelfleet.schemas.validate (strict validation of rendered manifests).

Everything runs on the schemas vendored in the package (no ../shared needed); the tests about
``ManifestSchemas.from_crd_dir`` use small CRD files written in tmp_path.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import jsonschema
import pytest
import referencing
import yaml

from modelfleet.schemas.validate import (
    ManifestSchemaError,
    ManifestSchemas,
    SchemaProblem,
    _core,
    _crd_closed_copy,
    _strip_schema_blocks,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schemas() -> ManifestSchemas:
    return ManifestSchemas.vendored()


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
    (problem,) = schemas.validate(obj)
    assert problem.path == ""
    assert problem.message == (
        "no schema for apiVersion example.com/v1 kind Widget; the vendored CRDs (KServe v0.20.0, Knative Serving "
        "knative-v1.23.0, KubeRay v1.7.0, Argo CD v3.5.1, Flux controllers v1.9.1) do not define it; give a "
        "directory holding its CRD (--crds)"
    )
    with pytest.raises(ManifestSchemaError, match="no schema for apiVersion example.com/v1 kind Widget"):
        schemas.is_namespaced("example.com/v1", "Widget")


def test_source_names_the_vendored_releases(schemas: ManifestSchemas) -> None:
    assert schemas.source == (
        "vendored (KServe v0.20.0, Knative Serving knative-v1.23.0, KubeRay v1.7.0, Argo CD v3.5.1, "
        "Flux controllers v1.9.1)"
    )
    assert schemas.source in repr(schemas)


def test_every_vendored_kind_is_known(schemas: ManifestSchemas) -> None:
    assert schemas.crd_kinds() == [
        ("argoproj.io/v1alpha1", "Application"),
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("ray.io/v1", "RayCluster"),
        ("ray.io/v1", "RayService"),
        ("ray.io/v1alpha1", "RayCluster"),
        ("ray.io/v1alpha1", "RayService"),
        ("serving.knative.dev/v1", "Service"),
        ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"),
        ("serving.kserve.io/v1alpha1", "ClusterStorageContainer"),
        ("serving.kserve.io/v1alpha1", "LLMInferenceService"),
        ("serving.kserve.io/v1alpha1", "LLMInferenceServiceConfig"),
        ("serving.kserve.io/v1alpha1", "LocalModelCache"),
        ("serving.kserve.io/v1alpha1", "LocalModelNodeGroup"),
        ("serving.kserve.io/v1alpha1", "ServingRuntime"),
        ("serving.kserve.io/v1alpha2", "LLMInferenceService"),
        ("serving.kserve.io/v1alpha2", "LLMInferenceServiceConfig"),
        ("serving.kserve.io/v1beta1", "InferenceService"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ]
    assert schemas.is_namespaced("serving.kserve.io/v1alpha1", "LocalModelCache") is False
    assert schemas.is_namespaced("argoproj.io/v1alpha1", "Application") is True


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


def test_values_that_are_not_json_are_reported(schemas: ManifestSchemas) -> None:
    import datetime

    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "ns"},
           "data": {"since": datetime.date(2024, 1, 1), "blob": b"x"}}
    assert _messages(schemas.validate(obj)) == [
        ("data.blob", "b'x' is not a JSON value (type bytes; quote it)"),
        ("data.since", "datetime.date(2024, 1, 1) is not a JSON value (type date; quote it)"),
    ]
    bad_key = isvc()
    bad_key["spec"]["predictor"]["nodeSelector"] = {1: "a"}
    assert _messages(schemas.validate(bad_key)) == [("spec.predictor.nodeSelector", "key 1 is not a string (type int; quote it)")]


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


@pytest.mark.parametrize("content", [b"kind: CustomResourceDefinition\nspec: [unclosed\n", b"kind: CustomResourceDefinition \xff\n"])
def test_from_crd_dir_unreadable_file(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "broken.yaml").write_bytes(content)
    with pytest.raises(ManifestSchemaError, match="cannot read CRD file .*broken.yaml"):
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
# GitOps engine objects, on the upstream Argo CD and Flux CRDs


def _golden_gitops() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "tests" / "golden").glob("*/gitops/*.yaml"))]


def flux_git_repository() -> dict:
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "modelfleet-prod", "namespace": "flux-system", "labels": {"team": "ml"}},
        "spec": {"interval": "5m", "url": "ssh://git@github.com/acme/models.git", "ref": {"branch": "deploy"},
                 "secretRef": {"name": "git-creds"}},
    }


def flux_kustomization() -> dict:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "modelfleet-prod", "namespace": "flux-system"},
        "spec": {"interval": "1m30s", "sourceRef": {"kind": "GitRepository", "name": "modelfleet-prod"},
                 "path": "./rendered/prod", "prune": True, "timeout": "2m"},
    }


def test_rendered_gitops_objects_pass(schemas: ManifestSchemas) -> None:
    objects = _golden_gitops() + [flux_git_repository(), flux_kustomization()]
    assert {o["kind"] for o in objects} == {"Application", "GitRepository", "Kustomization"}
    assert [str(p) for o in objects for p in schemas.validate(o)] == []


def test_gitops_typos_and_bad_values_are_flagged(schemas: ManifestSchemas) -> None:
    (app,) = [o for o in _golden_gitops() if o["metadata"]["name"] == "modelfleet-dev"]
    app["spec"]["source"]["targetrevision"] = app["spec"]["source"].pop("targetRevision")
    del app["spec"]["project"]
    assert _messages(schemas.validate(app)) == [
        ("spec", "'project' is a required property"),
        ("spec.source", "unknown field 'targetrevision'"),
    ]
    repo = flux_git_repository()
    repo["spec"]["ref"]["brnch"] = repo["spec"]["ref"].pop("branch")
    repo["spec"]["url"] = "git@github.com:acme/models.git"
    repo["spec"]["interval"] = "5 minutes"
    assert _messages(schemas.validate(repo)) == [
        ("spec.interval", "'5 minutes' does not match '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$'"),
        ("spec.ref", "unknown field 'brnch'"),
        ("spec.url", "'git@github.com:acme/models.git' does not match '^(http|https|ssh)://.*$'"),
    ]
    ks = flux_kustomization()
    ks["spec"]["sourceref"] = ks["spec"].pop("sourceRef")
    del ks["spec"]["prune"]
    assert _messages(schemas.validate(ks)) == [
        ("spec", "'prune' is a required property"),
        ("spec", "'sourceRef' is a required property"),
        ("spec", "unknown field 'sourceref'"),
    ]
    ks = flux_kustomization()
    ks["spec"]["sourceRef"]["kind"] = "HelmRepository"
    (problem,) = schemas.validate(ks)
    assert problem.path == "spec.sourceRef.kind"
    assert problem.message.startswith("'HelmRepository' is not one of ['OCIRepository', 'GitRepository', 'Bucket'")


def test_patterns_anchor_like_kubernetes(schemas: ManifestSchemas) -> None:
    """Go RE2 (the API server) and ECMA 262: '$' is the end of the text; Python's re would accept '5m\n'."""
    repo = flux_git_repository()
    repo["spec"]["interval"] = "5m\n"
    assert [p.path for p in schemas.validate(repo)] == ["spec.interval"]


def test_llm_inference_service(schemas: ManifestSchemas) -> None:
    obj = {
        "apiVersion": "serving.kserve.io/v1alpha2",
        "kind": "LLMInferenceService",
        "metadata": {"name": "qwen", "namespace": "ml-prod"},
        "spec": {
            "model": {"uri": "hf://Qwen/Qwen2.5-7B-Instruct", "name": "qwen"},
            "replicas": 1,
            "template": {"containers": [{"name": "main", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
        },
    }
    assert schemas.validate(obj) == []
    obj["spec"]["model"]["url"] = obj["spec"]["model"].pop("uri")
    assert _messages(schemas.validate(obj)) == [
        ("spec.model", "'uri' is a required property"),
        ("spec.model", "unknown field 'url'"),
    ]


# ---------------------------------------------------------------------------
# Parity: jsonschema_rs gives the verdicts; the reference Python jsonschema validator must agree with them


def _corpus() -> list[dict]:
    """Rendered objects (golden trees, diff fixtures) and this file's samples."""
    objects: list[dict] = []
    files = sorted((ROOT / "tests" / "golden").glob("*/**/*.yaml")) + sorted((ROOT / "tests" / "diff_fixtures").glob("**/*.yaml"))
    for path in files:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("apiVersion") != "kustomize.config.k8s.io/v1beta1":
                objects.append(doc)
    objects += [isvc(), serving_runtime(), cluster_serving_runtime(), knative_service(), ray_cluster(),
                flux_git_repository(), flux_kustomization(), *copy.deepcopy(list(CORE_OBJECTS.values()))]
    return objects


def _reference_validator(schemas: ManifestSchemas, api_version: str, kind: str) -> jsonschema.protocols.Validator:
    key = (api_version, kind)
    core = _core()
    if key in schemas._crds:
        closed = _crd_closed_copy(schemas._crds[key].load(), core.object_meta, root=True)
        return jsonschema.Draft4Validator(closed)
    registry = referencing.Registry().with_resource(core.defs_uri, referencing.Resource.from_contents(core.definitions))
    schema = json.loads(core.kinds[key][1].read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_VALUES = [0, 1, -5, 2**40, 0.5, 1.0, True, None, "", "x", "Exists", "1Gi", "a b", [], [1], {}, {"a": 1}, 80, "TCP"]


def _wrong_type(value):
    if isinstance(value, bool):
        return "true"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return {"a": value}
    if isinstance(value, dict):
        return [value]
    return {}


def _mutations(obj: dict, rng: random.Random) -> list[dict]:
    """Deterministic variants of one object: a key deleted (required ones too), an unknown field at some depth, a
    value of the wrong type, a string that no enum or pattern takes, a float quantity, 1.0 for an integer, and a
    few random combinations."""
    paths = [p for p in _paths(obj) if p and p[0] not in ("apiVersion", "kind")]
    dicts = [p for p in _paths(obj) if isinstance(_at(obj, p), dict)]
    strings = [p for p in paths if isinstance(_at(obj, p), str)]
    ints = [p for p in paths if isinstance(_at(obj, p), int) and not isinstance(_at(obj, p), bool)]
    quantities = [p for p in paths if any(k in ("limits", "requests", "capacity") for k in p[:-1])]
    out: list[dict] = []

    def variant(path, change) -> None:
        new = copy.deepcopy(obj)
        *parent, last = path
        change(_at(new, tuple(parent)), last)
        out.append(new)

    def delete(parent, last):
        if isinstance(parent, dict):
            parent.pop(last)
        else:
            parent.pop(last)

    def setter(value_of):
        def change(parent, last):
            parent[last] = value_of(parent[last])
        return change

    for path in rng.sample(paths, min(3, len(paths))):
        variant(path, delete)
    for path in rng.sample(dicts, min(2, len(dicts))):
        new = copy.deepcopy(obj)
        _at(new, path)["zzUnknownField"] = "x"
        out.append(new)
    for path in rng.sample(paths, min(2, len(paths))):
        variant(path, setter(_wrong_type))
    for path in rng.sample(strings, min(2, len(strings))):
        variant(path, setter(lambda _v: "Not A Valid Value!"))
    for path in rng.sample(quantities, min(1, len(quantities))):
        variant(path, setter(lambda _v: 0.5))
    for path in rng.sample(ints, min(1, len(ints))):
        variant(path, setter(lambda v: float(v)))
    for _ in range(2):
        out.append(_mutate(obj, rng))
    return out


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


def parity_counts(schemas: ManifestSchemas) -> dict[str, int]:
    """Validate the corpus and its mutations with jsonschema_rs and with the reference validator; returns the
    counts, and raises AssertionError on the first disagreement."""
    rng = random.Random(20261126)
    counts = {"objects": 0, "valid": 0, "invalid": 0, "kinds": 0}
    references: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    for base in _corpus():
        key = (base["apiVersion"], base["kind"])
        if key not in references:
            references[key] = _reference_validator(schemas, *key)
        reference, ours = references[key], schemas._validator(*key)
        for obj in [base, *_mutations(base, rng)]:
            expected = reference.is_valid(obj)
            assert ours.rs.is_valid(obj) == expected, (key, obj)
            assert (ours.schema_problems(obj) == []) == expected, (key, obj)
            counts["objects"] += 1
            counts["valid" if expected else "invalid"] += 1
    counts["kinds"] = len(references)
    return counts


def test_jsonschema_rs_verdicts_match_the_reference_validator(schemas: ManifestSchemas) -> None:
    counts = parity_counts(schemas)
    assert counts["kinds"] >= 14
    assert counts["objects"] >= 600  # 994 today: the rendered examples, fixtures and their variants, 19 kinds
    assert counts["invalid"] >= 300 and counts["valid"] >= 150  # both verdicts are well exercised
