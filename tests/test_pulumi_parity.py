"""__main__.py under Pulumi's mock runtime registers exactly the objects `modelfleet render` writes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from modelfleet.compile import compile_environments
from modelfleet.load.project import Project
from tests.conftest import ENVIRONMENTS, ROOT

COMPONENT_TYPES = {
    "modelfleet:stack:ModelServingStack",
    "modelfleet:storage:ModelStorage",
    "modelfleet:runtime:ServingRuntime",
    "modelfleet:serving:InferenceService",
    "modelfleet:serving:KnativeService",
    "modelfleet:serving:EngineDeployment",
    "modelfleet:ray:RayService",
    "modelfleet:ray:RayCluster",
    "modelfleet:serving:LLMInferenceService",
}
BACKEND_COMPONENTS = {
    "kserve": "modelfleet:serving:InferenceService",
    "knative": "modelfleet:serving:KnativeService",
    "deployment": "modelfleet:serving:EngineDeployment",
    "ray": "modelfleet:ray:RayService",
    "llm": "modelfleet:serving:LLMInferenceService",
}


def _integral(value):
    """Pulumi's wire format carries numbers as doubles; compare 2.0 as 2."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def _key(obj: dict) -> tuple:
    return obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_registered_objects_equal_rendered_objects(env):
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "pulumi_mock_run.py"), env], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    registered = json.loads(run.stdout)
    components = [r for r in registered if r["type"] in COMPONENT_TYPES]
    objects = [_integral(r["inputs"]) for r in registered if r["type"] not in COMPONENT_TYPES]

    project = Project.at(ROOT)
    [compiled] = compile_environments(project, [env], None)
    assert sorted(objects, key=_key) == sorted(compiled.objects, key=_key)

    # every object carries its real Kubernetes type token (a patch of an object another installer owns is
    # registered as a <Kind>Patch); names are explicit, never auto-named
    for resource in registered:
        if resource["type"] not in COMPONENT_TYPES:
            inputs = resource["inputs"]
            group_version = inputs["apiVersion"] if "/" in inputs["apiVersion"] else f"core/{inputs['apiVersion']}"
            patch = "Patch" if inputs["metadata"].get("annotations", {}).get("modelfleet.io/patch") == "true" else ""
            assert resource["type"] == f"kubernetes:{group_version}:{inputs['kind']}{patch}"
    for backend, component in BACKEND_COMPONENTS.items():
        expected = {model.name for model in compiled.plan.models if model.backend == backend}
        assert {r["name"] for r in components if r["type"] == component} == expected


def test_program_raises_run_error_with_the_problems():
    """A bad config fails the program with pulumi.RunError, which the engine prints without a traceback."""
    script = (
        "import sys, json, runpy; sys.path.insert(0, %r); import tests.pulumi_mock_run as r; "
        "import pulumi; pulumi.runtime.set_mocks(r.RecordingMocks(), project='modelfleet', stack='nosuch', preview=False); "
        "pulumi.runtime.set_all_config({'modelfleet:environment': json.dumps({'namespace': 'Bad_NS'})}); "
        "runpy.run_path(%r, run_name='__main__')"
    ) % (str(ROOT), str(ROOT / "__main__.py"))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode != 0
    assert "pulumi.errors.RunError: pulumi config of stack nosuch:1:1: environment.namespace: the string 'Bad_NS' must be a DNS-1123 label" in run.stderr
