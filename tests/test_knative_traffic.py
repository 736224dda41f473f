"""A canary on backend knative: the template is the new revision, named from its content, and spec.traffic splits
requests between it (tag canary.name) and the revision of the model's own settings (tag stable)."""

from __future__ import annotations

from tests.test_backends import SHARED, by_kind, compile_dev
from tests.test_spec_errors import problems_of

QWEN = """config:
  modelfleet:environment: {namespace: ml-dev}
  modelfleet:models:
    - name: qwen
      backend: knative
      runtime: vllm
      storage: {name: models, path: qwen}
      engine: {maxModelLen: 4096}
"""


def _service(project, extra: str = "") -> dict:
    objects, _ = compile_dev(project, QWEN + extra)
    return by_kind(objects)[("Service", "qwen")]


def errors(project, canary: str, backend: str = "knative") -> list[str]:
    return problems_of(project, QWEN.replace("backend: knative", f"backend: {backend}") + f"      canary: {canary}\n", shared=SHARED)


def test_the_template_is_a_revision_named_from_its_content(project, schemas):
    service = _service(project)
    assert service["spec"]["template"]["metadata"]["name"] == "qwen-ea6a838b"
    assert "traffic" not in service["spec"]
    assert _service(project)["spec"]["template"]["metadata"]["name"] == "qwen-ea6a838b"
    assert _service(project, "      scaling: {maxReplicas: 2}\n")["spec"]["template"]["metadata"]["name"] != "qwen-ea6a838b"
    assert schemas.validate(service) == []


def test_a_canary_is_the_template_and_the_stable_revision_keeps_the_rest(project, schemas):
    stable = _service(project)
    service = _service(project, "      canary: {trafficPercent: 10, engine: {maxModelLen: 8192}}\n")
    template = service["spec"]["template"]
    assert template["metadata"]["name"] == "qwen-45f50158"
    assert "--max-model-len=8192" in template["spec"]["containers"][0]["args"]
    assert service["spec"]["traffic"] == [
        {"tag": "stable", "revisionName": "qwen-ea6a838b", "percent": 90},
        {"tag": "canary", "latestRevision": True, "percent": 10},
    ]
    assert {**template, "metadata": None, "spec": None} == {**stable["spec"]["template"], "metadata": None, "spec": None}
    assert schemas.validate(service) == []


def test_promoting_the_canary_keeps_its_revision_name(project):
    canary = _service(project, "      canary: {trafficPercent: 50, name: next, storage: {name: hub, path: Qwen/Qwen2-7B}}\n")
    assert canary["spec"]["traffic"][1] == {"tag": "next", "latestRevision": True, "percent": 50}
    objects, _ = compile_dev(project, QWEN.replace("{name: models, path: qwen}", "{name: hub, path: Qwen/Qwen2-7B}"))
    assert by_kind(objects)[("Service", "qwen")]["spec"]["template"] == canary["spec"]["template"]


def test_knative_canary_rules(project):
    assert errors(project, "{trafficPercent: 5, name: stable, runtimeVersion: v1, storage: {name: bucket, path: x}}") == [
        "stacks/Pulumi.dev.yaml:9:35: models[0].canary.name: the stable revision's traffic tag is stable, and Knative refuses two traffic targets with one tag; name the canary otherwise (default canary)",
        "stacks/Pulumi.dev.yaml:9:49: models[0].canary.runtimeVersion: runtimeVersion retags the image of a KServe runtime; backend knative runs the runtime's image as declared: remove runtimeVersion (a new engine image is a new runtime)",
        "stacks/Pulumi.dev.yaml:9:79: models[0].canary.storage.name: backend knative reads models from a PVC or the Hugging Face hub; storage 'bucket' is s3, which needs KServe's storage initializer: use backend kserve, or a pvc/newPvc/huggingFace storage",
    ]
    assert errors(project, "{trafficPercent: 5, engine: {maxModelLen: 4096}, env: []}") == [
        "stacks/Pulumi.dev.yaml:9:7: models[0].canary: the canary changes nothing; set what the new revision runs differently: storage or storageUri, engine or env",
    ]
    assert errors(project, "{trafficPercent: 5, name: a-very-long-traffic-tag-for-the-canary-revision-of-qwen, env: [{name: A, value: b}]}") == [
        "stacks/Pulumi.dev.yaml:9:35: models[0].canary.name: the host of the traffic tag a-very-long-traffic-tag-for-the-canary-revision-of-qwen, 'a-very-long-traffic-tag-for-the-canary-revision-of-qwen-qwen-ml-dev', has 67 characters, over 63; shorten the tag (canary.name), the model name or the namespace",
    ]
    assert errors(project, "{trafficPercent: 5, env: [{name: A, value: b}]}", backend="deployment") == [
        "stacks/Pulumi.dev.yaml:9:7: models[0].canary: canary is compiled for backends kserve and knative, and this model uses backend deployment; use backend kserve or knative, or remove canary",
    ]
