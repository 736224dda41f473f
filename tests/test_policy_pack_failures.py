"""A policy that hangs or a pack that crashes is a clear error naming the call, the resource and the policy code,
never a hang: every Analyzer call has a deadline."""

from __future__ import annotations

import textwrap
import time

import pytest

from modelfleet.check.analyzer_client import PolicyPackError, PolicyPackProcess, Resource

PACK = textwrap.dedent('''
    import os, time
    from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

    def validate(args, report_violation):
        if args.props.get("metadata", {}).get("name") == "sleeper":
            time.sleep(3600)
        if args.props.get("metadata", {}).get("name") == "crasher":
            os._exit(3)

    PolicyPack(name="broken", enforcement_level=EnforcementLevel.MANDATORY, policies=[
        ResourceValidationPolicy(name="slow-rule", description="Sleeps on one resource.", validate=validate),
    ])
''')


@pytest.fixture
def pack_dir(tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.1.0\n")
    (tmp_path / "__main__.py").write_text(PACK)
    return tmp_path


def resource(name: str) -> Resource:
    return Resource("kubernetes:core/v1:ConfigMap", f"urn:pulumi:dev::modelfleet::kubernetes:core/v1:ConfigMap::{name}", name,
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})


def test_a_hanging_policy_is_reported_with_the_resource_and_the_code_it_was_running(pack_dir, monkeypatch):
    monkeypatch.setenv("MODELFLEET_POLICY_TIMEOUT", "3")
    with PolicyPackProcess(pack_dir, "modelfleet", "dev") as pack:
        assert pack.analyze(resource("fine")) == []
        started = time.monotonic()
        with pytest.raises(PolicyPackError) as caught:
            pack.analyze(resource("sleeper"))
        assert time.monotonic() - started < 15
    assert str(caught.value) == (
        f"policy pack {pack_dir}: Analyze of kubernetes:core/v1:ConfigMap sleeper got no answer within 3 s; "
        "it was running validate at __main__.py:7; fix the policy, or raise MODELFLEET_POLICY_TIMEOUT for a very large stack"
    )


def test_a_pack_that_dies_is_reported_with_its_exit_code(pack_dir):
    with PolicyPackProcess(pack_dir, "modelfleet", "dev") as pack:
        with pytest.raises(PolicyPackError) as caught:
            pack.analyze(resource("crasher"))
    assert str(caught.value).startswith(f"policy pack {pack_dir} exited (code 3) during Analyze of kubernetes:core/v1:ConfigMap crasher")
